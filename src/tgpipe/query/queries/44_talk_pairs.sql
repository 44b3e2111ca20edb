-- Who talks to whom, per chat and ordered pair of people (senders who are persons in the chat): replies from one to the other's messages, and mentions of the other (a text_mention names the user; an @username is the person seen sending in the chat with that username latest), each once per message, self aside.
WITH
person_cte AS (
  SELECT
    chat_id,
    sender_id AS person_id,
    max_by(sender_name, message_order) FILTER (WHERE sender_name IS NOT NULL) AS person_name
  FROM telegram
  WHERE is_content
    AND sender_kind = 'person'
    AND sender_id IS NOT NULL
  GROUP BY
    chat_id,
    sender_id
),
username_cte AS (
  SELECT
    chat_id,
    lower(user_username) AS username,
    max_by(user_id, message_order) FILTER (WHERE user_id IS NOT NULL) AS person_id
  FROM telegram
  WHERE is_content
    AND sender_kind = 'person'
    AND user_username IS NOT NULL
  GROUP BY
    chat_id,
    lower(user_username)
),
message_cte AS (
  SELECT
    chat_id,
    numbered_by,
    message_id,
    sender_id,
    replied_to_message_id,
    mentions,
    text_mention_user_ids
  FROM telegram
  WHERE is_content
    AND sender_kind = 'person'
),
reply_cte AS (
  SELECT
    r.chat_id,
    r.sender_id AS from_id,
    m.sender_id AS to_id,
    count(1) AS reply_amount
  FROM message_cte AS r
  JOIN message_cte AS m
    ON m.chat_id = r.chat_id
    AND m.numbered_by = r.numbered_by
    AND m.message_id = r.replied_to_message_id
  WHERE m.sender_id <> r.sender_id
  GROUP BY
    r.chat_id,
    r.sender_id,
    m.sender_id
),
mention_text_cte AS (
  SELECT
    m.chat_id,
    m.numbered_by,
    m.message_id,
    m.sender_id,
    lower(substr(t.mention, 2)) AS username
  FROM message_cte AS m
  CROSS JOIN UNNEST(m.mentions) AS t (mention)
),
mentioned_cte AS (
  SELECT DISTINCT
    m.chat_id,
    m.numbered_by,
    m.message_id,
    m.sender_id AS from_id,
    u.person_id AS to_id
  FROM mention_text_cte AS m
  JOIN username_cte AS u
    ON u.chat_id = m.chat_id
    AND u.username = m.username
  UNION
  SELECT DISTINCT
    m.chat_id,
    m.numbered_by,
    m.message_id,
    m.sender_id AS from_id,
    p.person_id AS to_id
  FROM message_cte AS m
  CROSS JOIN UNNEST(m.text_mention_user_ids) AS t (person_id)
  JOIN person_cte AS p
    ON p.chat_id = m.chat_id
    AND p.person_id = t.person_id
),
mention_cte AS (
  SELECT
    chat_id,
    from_id,
    to_id,
    count(1) AS mention_amount
  FROM mentioned_cte
  WHERE from_id <> to_id
  GROUP BY
    chat_id,
    from_id,
    to_id
),
pair_cte AS (
  SELECT
    COALESCE(r.chat_id, n.chat_id) AS chat_id,
    COALESCE(r.from_id, n.from_id) AS from_id,
    COALESCE(r.to_id, n.to_id) AS to_id,
    COALESCE(r.reply_amount, 0) AS reply_amount,
    COALESCE(n.mention_amount, 0) AS mention_amount
  FROM reply_cte AS r
  FULL OUTER JOIN mention_cte AS n
    ON n.chat_id = r.chat_id
    AND n.from_id = r.from_id
    AND n.to_id = r.to_id
)
SELECT
  p.chat_id,
  p.from_id,
  f.person_name AS from_name,
  p.to_id,
  t.person_name AS to_name,
  p.reply_amount,
  p.mention_amount,
  p.reply_amount + p.mention_amount AS interaction_amount
FROM pair_cte AS p
LEFT JOIN person_cte AS f
  ON f.chat_id = p.chat_id
  AND f.person_id = p.from_id
LEFT JOIN person_cte AS t
  ON t.chat_id = p.chat_id
  AND t.person_id = p.to_id
ORDER BY
  interaction_amount DESC,
  p.chat_id,
  p.from_id,
  p.to_id
