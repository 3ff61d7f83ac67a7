-- A domain covers mail from its added_at on. The domains a subscription was
-- created with cover from the subscription's start (an imported one covers
-- its past; one starting later covers from then), and no domain covers
-- before its subscription starts; they were stored with the time they were
-- recorded instead.
UPDATE subscription_domains AS sd
SET added_at = s.starts_at
FROM support_subscriptions AS s
WHERE s.id = sd.subscription_id
  AND (sd.added_at = s.created_at OR sd.added_at < s.starts_at);
