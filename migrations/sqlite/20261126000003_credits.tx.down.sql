DROP TABLE credit_entries;
