-- Emoji in texts and captions (each a whole grapheme: families, flags and skin tones kept whole) by how many times they are used, with the messages and people using each.
WITH
emoji_cte AS (
  SELECT
    chat_id,
    message_id,
    source,
    user_id,
    one_emoji,
    count(1) AS use_amount
  FROM telegram
  CROSS JOIN UNNEST(emoji) AS t (one_emoji)
  WHERE is_content
  GROUP BY
    chat_id,
    message_id,
    source,
    user_id,
    one_emoji
)
SELECT
  one_emoji AS emoji,
  sum(use_amount) AS use_amount,
  count(1) AS message_amount,
  count(DISTINCT user_id) AS user_amount
FROM emoji_cte
GROUP BY one_emoji
ORDER BY
  use_amount DESC,
  message_amount DESC,
  one_emoji
