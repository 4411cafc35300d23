"""Webhook delivery: where a delivery may go (guard), how it is signed (Standard Webhooks), how it is sent."""
