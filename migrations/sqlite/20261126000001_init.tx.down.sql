DROP TABLE subscription_status_changes;
--bun:split
DROP TABLE subscription_domains;
--bun:split
DROP TABLE support_subscriptions;
--bun:split
DROP TABLE licenses;
--bun:split
DROP TABLE customers;
