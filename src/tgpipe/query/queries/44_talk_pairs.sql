-- Who talks to whom, per chat and ordered pair of its top_people people (senders who are persons, ranked by messages): replies from one to the other's messages, and mentions of the other (a text_mention names the user; an @username is the person seen sending in the chat with that username latest), each once per message, self aside.
WITH
params AS (
  SELECT 50 AS top_people
),
person_cte AS (
  SELECT
    chat_id,
    sender_id AS person_id,
    max_by(sender_name, message_order) FILTER (WHERE sender_name IS NOT NULL) AS person_name,
    count(1) AS message_amount
  FROM telegram
  WHERE is_content
    AND sender_kind = 'person'
    AND sender_id IS NOT NULL
  GROUP BY
    chat_id,
    sender_id
),
ranked_cte AS (
  SELECT
    chat_id,
    person_id,
    person_name,
    row_number() OVER (PARTITION BY chat_id ORDER BY message_amount DESC, person_id) AS person_rank
  FROM person_cte
),
top_cte AS (
  SELECT
    r.chat_id,
    r.person_id,
    r.person_name,
    r.person_rank
  FROM ranked_cte AS r
  CROSS JOIN params AS p
  WHERE r.person_rank <= p.top_people
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
    t.chat_id,
    t.numbered_by,
    t.message_id,
    t.sender_id,
    t.replied_to_message_id,
    t.mentions,
    t.text_mention_user_ids
  FROM telegram AS t
  JOIN top_cte AS s
    ON s.chat_id = t.chat_id
    AND s.person_id = t.sender_id
  WHERE t.is_content
    AND t.sender_kind = 'person'
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
  WHERE r.replied_to_message_id IS NOT NULL
    AND m.sender_id <> r.sender_id
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
  WHERE m.mentions IS NOT NULL
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
    t.person_id AS to_id
  FROM message_cte AS m
  CROSS JOIN UNNEST(m.text_mention_user_ids) AS t (person_id)
  WHERE m.text_mention_user_ids IS NOT NULL
),
mention_cte AS (
  SELECT
    n.chat_id,
    n.from_id,
    n.to_id,
    count(1) AS mention_amount
  FROM mentioned_cte AS n
  JOIN top_cte AS s
    ON s.chat_id = n.chat_id
    AND s.person_id = n.to_id
  WHERE n.from_id <> n.to_id
  GROUP BY
    n.chat_id,
    n.from_id,
    n.to_id
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
  pr.chat_id,
  pr.from_id,
  f.person_name AS from_name,
  f.person_rank AS from_rank,
  pr.to_id,
  t.person_name AS to_name,
  t.person_rank AS to_rank,
  pr.reply_amount,
  pr.mention_amount,
  pr.reply_amount + pr.mention_amount AS interaction_amount
FROM pair_cte AS pr
LEFT JOIN top_cte AS f
  ON f.chat_id = pr.chat_id
  AND f.person_id = pr.from_id
LEFT JOIN top_cte AS t
  ON t.chat_id = pr.chat_id
  AND t.person_id = pr.to_id
ORDER BY
  interaction_amount DESC,
  pr.chat_id,
  pr.from_id,
  pr.to_id
