"""The two CRM emulators over one loaded dataset, and what they share (HTTP server, faults, TLS)."""
