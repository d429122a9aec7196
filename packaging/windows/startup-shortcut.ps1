# Start litellm-tray at sign-in: a shortcut in the Startup folder (shell:startup).
#   powershell -ExecutionPolicy Bypass -File packaging\windows\startup-shortcut.ps1 [-Target PATH] [-Remove]
# Target: the PyInstaller build's litellm-tray.exe (no console), or by default the pip/pipx
# install's pythonw.exe -m tray. `litellm-tray autostart on` does the same with a .cmd file.
param([string]$Target = "", [switch]$Remove)
$startup = [Environment]::GetFolderPath("Startup")
$link = Join-Path $startup "LiteLLM Tray.lnk"
if ($Remove) { Remove-Item -ErrorAction SilentlyContinue $link; Write-Output "removed $link"; exit 0 }
$shell = New-Object -ComObject WScript.Shell
$shortcut = $shell.CreateShortcut($link)
if ($Target) {
    $shortcut.TargetPath = (Resolve-Path $Target).Path
} else {
    $script = (Get-Command litellm-tray -ErrorAction Stop).Source
    $pythonw = Join-Path (Split-Path (Split-Path $script)) "pythonw.exe"
    if (-not (Test-Path $pythonw)) { $pythonw = Join-Path (Split-Path $script) "pythonw.exe" }
    $shortcut.TargetPath = $pythonw
    $shortcut.Arguments = "-m tray"
}
$shortcut.Description = "LiteLLM Tray: tray monitor for a LiteLLM proxy"
$shortcut.WindowStyle = 7   # minimised: nothing flashes
$shortcut.Save()
Write-Output "created $link -> $($shortcut.TargetPath) $($shortcut.Arguments)"
