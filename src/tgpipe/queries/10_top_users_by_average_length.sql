-- Users with at least 5 text messages, by average text length in characters (rounded half away from zero).
SELECT
  user_id,
  user_first_name,
  count(text) AS text_message_amount,
  CAST(round(avg(length(text))) AS INTEGER) AS average_message_length
FROM telegram
WHERE text IS NOT NULL
GROUP BY
  user_id,
  user_first_name
HAVING count(text) >= 5
ORDER BY
  average_message_length DESC,
  text_message_amount DESC,
  user_id NULLS LAST,
  user_first_name NULLS LAST
