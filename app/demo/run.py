"""``make run``: start demo mode and tell the person exactly what to do next."""

from __future__ import annotations

import os

import uvicorn
from rich.console import Console

from app.db.engine import make_engine
from app.db.migrate import upgrade
from app.demo.environment import KEY_FILE, SECRET_FILE, start_demo
from app.http.guard import uvicorn_options
from app.http.main import create_app
from app.logging_setup import configure_logging
from app.runtime.services import build_services


def run_demo(console: Console) -> None:
    port = int(os.environ.get("MISENA_PORT", "8000"))
    emulator_port = int(os.environ.get("MISENA_EMULATOR_PORT", "8787"))
    demo = start_demo(port, emulator_port)
    configure_logging(demo.settings.log_level, capture_uncaught=True)
    engine = make_engine(demo.settings.database_url)
    upgrade(engine)
    services = build_services(demo.settings, engine=engine)
    app = create_app(services, run_worker=True)
    console.print(
        "\n[bold green]misena — modo demostración[/bold green]\n"
        f"  API:                 http://127.0.0.1:{port}  (docs: /docs, salud: /readyz)\n"
        f"  Emulador de Google:  {demo.emulator.base_url}\n"
        f"  Base de datos:       {demo.settings.database_url}\n"
        f"  Llave de servicio:   {KEY_FILE}\n"
        f"  Secreto del webhook: {demo.secrets[0]}   (también en {SECRET_FILE})\n\n"
        "Envíe una matrícula firmada desde otra terminal:\n"
        "  .venv/bin/misena demo enroll --document 1098765432 --email majo.pena@example.com\n"
        "y vea la cuenta creada y el correo recibido:\n"
        "  .venv/bin/misena demo show 1098765432\n"
    )
    try:
        uvicorn.run(app, **uvicorn_options(host="127.0.0.1", port=port))
    finally:
        demo.emulator.stop()
