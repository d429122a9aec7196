"""Log ingestion: follow a file across rotation, recognise formats, assemble requests."""
