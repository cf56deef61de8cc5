"""The HTTP entry point: the FastAPI app, webhook and health routes, the ``/v1`` routers,
problem rendering, the OpenAPI document."""
