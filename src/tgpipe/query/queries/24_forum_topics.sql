-- Forum topics: each topic's name, messages, people, active days, when it was created and last active; General is the forum's messages outside a topic.
WITH
forum_cte AS (
  SELECT DISTINCT chat_id
  FROM telegram
  WHERE forum_topic_id IS NOT NULL
),
topic_cte AS (
  SELECT
    t.chat_id,
    t.chat_title,
    t.forum_topic_id,
    CASE WHEN t.forum_topic_id IS NOT NULL THEN t.forum_topic_name END AS topic_name,
    t.message_type,
    t.message_order,
    t.is_content,
    t.sender_kind,
    t.user_id,
    t.context_date,
    t.date_utc
  FROM telegram AS t
  JOIN forum_cte AS f
    ON f.chat_id = t.chat_id
)
SELECT
  chat_id,
  max_by(chat_title, message_order) FILTER (WHERE chat_title IS NOT NULL) AS chat_title,
  forum_topic_id,
  max_by(topic_name, message_order) FILTER (WHERE topic_name IS NOT NULL) AS topic_name,
  count(1) FILTER (WHERE is_content) AS message_amount,
  count(DISTINCT CASE WHEN is_content AND sender_kind = 'person' THEN user_id END) AS person_amount,
  count(DISTINCT CASE WHEN is_content THEN context_date END) AS active_days,
  min(context_date) FILTER (WHERE message_type = 'forum_topic_created') AS created_date,
  max(context_date) FILTER (WHERE is_content) AS last_active_date,
  max(date_utc) FILTER (WHERE is_content) AS last_message_utc
FROM topic_cte
GROUP BY
  chat_id,
  forum_topic_id
ORDER BY
  message_amount DESC,
  chat_id,
  forum_topic_id NULLS FIRST
