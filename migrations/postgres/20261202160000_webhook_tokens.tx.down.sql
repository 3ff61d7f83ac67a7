DROP TABLE webhook_tokens;
