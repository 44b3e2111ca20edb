-- Messages with a text or caption, and the people who sent them, per language (NULL: too short to tell).
SELECT
  language,
  count(1) AS message_amount,
  count(DISTINCT user_id) AS user_amount
FROM telegram
WHERE is_content
  AND (text IS NOT NULL OR caption IS NOT NULL)
GROUP BY language
ORDER BY
  message_amount DESC,
  language NULLS LAST
