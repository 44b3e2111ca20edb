-- The bot's traffic per local hour and ISO weekday (1 = Monday): messages with a command, buttons pressed and inline queries; a press or inline query has no time of its own, so its event_date (the latest time before it that day) places it.
WITH
event_cte AS (
  SELECT
    'command' AS kind,
    chat_id,
    numbered_by,
    message_id AS event_id,
    date_local AS event_local
  FROM telegram
  WHERE is_content
    AND bot_commands IS NOT NULL
  UNION ALL
  SELECT
    CASE update_type WHEN 'callback_query' THEN 'button' ELSE 'inline_query' END AS kind,
    chat_id,
    'update' AS numbered_by,
    update_id AS event_id,
    event_date_local AS event_local
  FROM telegram_updates
  WHERE update_type IN ('callback_query', 'inline_query')
)
SELECT
  kind,
  date_diff('day', DATE '2001-01-01', CAST(event_local AS DATE)) % 7 + 1 AS weekday,
  EXTRACT(hour FROM event_local) AS hour,
  count(1) AS event_amount
FROM event_cte
WHERE event_local IS NOT NULL
GROUP BY
  kind,
  date_diff('day', DATE '2001-01-01', CAST(event_local AS DATE)) % 7 + 1,
  EXTRACT(hour FROM event_local)
ORDER BY
  kind,
  weekday,
  hour
