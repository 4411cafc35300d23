"""The entry points: one module per service with its FastAPI router and its Kafka and timer triggers; functions/app.py
assembles the ones an app hosts around one composition root."""
