"""What a clinician takes away: per-rep CSV, JSON and history CSV (``exports``), the session PDF (``pdf``)."""
