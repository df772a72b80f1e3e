"""What the service tells operators about itself: Prometheus metrics and OpenTelemetry traces.

A leaf package: it knows SQLAlchemy engines, SAQ jobs and the settings, and no domain area.
"""
