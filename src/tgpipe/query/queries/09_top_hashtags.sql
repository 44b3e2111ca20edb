-- Hashtags (lower-cased) by how many messages use them, with how many people used each.
WITH
hashtag_cte AS (
  SELECT DISTINCT
    chat_id,
    message_id,
    source,
    user_id,
    lower(hashtag) AS hashtag
  FROM telegram
  CROSS JOIN UNNEST(hashtags) AS t (hashtag)
  WHERE is_content
)
SELECT
  hashtag,
  count(1) AS message_amount,
  count(DISTINCT user_id) AS user_amount
FROM hashtag_cte
GROUP BY hashtag
ORDER BY
  message_amount DESC,
  hashtag
