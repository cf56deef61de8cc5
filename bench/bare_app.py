"""The baseline of ``bench/intake.py``: a bare FastAPI JSON endpoint, served as misena is.

It reads the body and answers 202 with a small JSON document, nothing else, so the ratio of
misena's webhook to it is what verifying, validating and storing an event costs. Run as its own
process: ``python -m bench.bare_app PORT`` (uvicorn with misena's production options).
"""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app.http.guard import uvicorn_options

app = FastAPI()


@app.post("/webhooks/sofia-plus")
async def accept(request: Request) -> JSONResponse:
    body = await request.body()
    return JSONResponse({"status": "accepted", "bytes": len(body)}, status_code=202)


if __name__ == "__main__":
    uvicorn.run(app, **uvicorn_options(host="127.0.0.1", port=int(sys.argv[1])))
