"""`xunfang demo`: the command centre on Chicago with a real day of incidents replayed at speed."""
