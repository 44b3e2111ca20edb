-- Share of messages per family of content (text, photo, video, ...), in percent; other is a message_type the code does not know.
WITH
family_cte AS (
  SELECT
    CASE
      WHEN message_type IN ('text', 'rich_message') THEN 'text'
      WHEN message_type IN ('photo', 'live_photo') THEN 'photo'
      WHEN message_type IN ('video', 'animation', 'video_note') THEN 'video'
      WHEN message_type IN ('voice', 'audio') THEN 'audio'
      WHEN message_type = 'sticker' THEN 'sticker'
      WHEN message_type = 'document' THEN 'document'
      WHEN message_type IN ('location', 'venue') THEN 'location'
      WHEN message_type = 'poll' THEN 'poll'
      WHEN message_type = 'contact' THEN 'contact'
      WHEN message_type IN ('dice', 'game') THEN 'game'
      WHEN message_type = 'story' THEN 'story'
      WHEN message_type = 'checklist' THEN 'checklist'
      WHEN message_type IN ('invoice', 'paid_media') THEN 'payment'
      WHEN message_type IN ('giveaway', 'giveaway_winners') THEN 'giveaway'
      ELSE 'other'
    END AS media_family
  FROM telegram
  WHERE is_content
)
SELECT
  media_family,
  count(1) AS message_amount,
  round(CAST(count(1) AS DOUBLE) * 1000 / CAST(sum(count(1)) OVER () AS DOUBLE)) / 10 AS share_percent
FROM family_cte
GROUP BY media_family
ORDER BY
  message_amount DESC,
  media_family
