"""VisionDesk desktop application (Qt UI and its plain-Python data layer)."""
