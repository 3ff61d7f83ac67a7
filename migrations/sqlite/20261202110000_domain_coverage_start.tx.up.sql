-- A domain covers mail from its added_at on. The domains a subscription was
-- created with cover from the subscription's start (an imported one covers
-- its past; one starting later covers from then), and no domain covers
-- before its subscription starts; they were stored with the time they were
-- recorded instead.
UPDATE subscription_domains
SET added_at = (SELECT s.starts_at FROM support_subscriptions AS s WHERE s.id = subscription_domains.subscription_id)
WHERE EXISTS (
    SELECT 1 FROM support_subscriptions AS s
    WHERE s.id = subscription_domains.subscription_id
      AND (subscription_domains.added_at = s.created_at OR subscription_domains.added_at < s.starts_at)
);
