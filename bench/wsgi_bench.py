"""The app as gunicorn serves it for the load benchmark, plus two baselines on the same server set-up:
``/bench/hello`` (bare Flask) and ``/bench/one-query`` (one SQL query and a small template)."""

from __future__ import annotations

import os

from flask import render_template_string
from sqlalchemy import func, select

from app import create_app
from app.directory.models import Town
from app.extensions import db
from config import TestingConfig


class BenchConfig(TestingConfig):
    TESTING = False
    SQLALCHEMY_DATABASE_URI = os.environ["BENCH_DATABASE_URL"]
    PUBLIC_BASE_URL = os.environ.get("BENCH_PUBLIC_URL", "http://127.0.0.1:8000")


app = create_app(BenchConfig())


@app.route("/bench/hello")
def hello():
    return "hello"


@app.route("/bench/one-query")
def one_query():
    count = db.session.scalar(select(func.count(Town.id)))
    return render_template_string("<!doctype html><title>bench</title><p>{{ n }} towns</p>", n=count)
