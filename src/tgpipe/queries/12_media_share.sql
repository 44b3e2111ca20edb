-- Share of messages per kind of content (text, photo, video, audio, sticker, document, service, other), in percent.
WITH
family_cte AS (
  SELECT
    CASE
      WHEN message_type = 'text' THEN 'text'
      WHEN message_type = 'photo' THEN 'photo'
      WHEN message_type IN ('video', 'animation', 'video_note') THEN 'video'
      WHEN message_type IN ('voice', 'audio') THEN 'audio'
      WHEN message_type = 'sticker' THEN 'sticker'
      WHEN message_type = 'document' THEN 'document'
      WHEN message_type IN (
        'new_chat_members', 'left_chat_member', 'new_chat_title', 'new_chat_photo', 'delete_chat_photo',
        'group_chat_created', 'supergroup_chat_created', 'channel_chat_created',
        'message_auto_delete_timer_changed', 'migrate_to_chat_id', 'migrate_from_chat_id', 'pinned_message',
        'forum_topic_created', 'forum_topic_edited', 'forum_topic_closed', 'forum_topic_reopened',
        'general_forum_topic_hidden', 'general_forum_topic_unhidden', 'video_chat_scheduled',
        'video_chat_started', 'video_chat_ended', 'video_chat_participants_invited', 'boost_added',
        'chat_background_set'
      ) THEN 'service'
      ELSE 'other'
    END AS media_family
  FROM telegram
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
