"""The Streamlit dashboard over the metrics engines (entrypoint: dashboard/app.py)."""
