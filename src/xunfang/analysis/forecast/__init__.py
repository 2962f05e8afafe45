"""Hotspot forecasters: one interface, the methods the field knows, and our own ensemble."""
