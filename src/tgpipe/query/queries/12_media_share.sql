-- Share of messages per family of content (text, photo, video, ..., service), in percent; other is a message_type the code does not know.
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
      WHEN message_type IN ('poll', 'poll_option_added', 'poll_option_deleted') THEN 'poll'
      WHEN message_type = 'contact' THEN 'contact'
      WHEN message_type IN ('dice', 'game') THEN 'game'
      WHEN message_type = 'story' THEN 'story'
      WHEN message_type IN ('checklist', 'checklist_tasks_done', 'checklist_tasks_added') THEN 'checklist'
      WHEN message_type IN ('invoice', 'successful_payment', 'refunded_payment', 'paid_media') THEN 'payment'
      WHEN message_type IN ('giveaway', 'giveaway_winners', 'giveaway_created', 'giveaway_completed') THEN 'giveaway'
      WHEN message_type IN ('gift', 'unique_gift', 'gift_upgrade_sent') THEN 'gift'
      WHEN message_type IN ('users_shared', 'chat_shared', 'managed_bot_created', 'passport_data') THEN 'shared'
      WHEN message_type IN ('web_app_data', 'write_access_allowed') THEN 'web_app'
      WHEN message_type IN (
        'new_chat_members', 'left_chat_member', 'chat_owner_left', 'chat_owner_changed', 'new_chat_title',
        'new_chat_photo', 'delete_chat_photo', 'group_chat_created', 'supergroup_chat_created',
        'channel_chat_created', 'message_auto_delete_timer_changed', 'migrate_to_chat_id',
        'migrate_from_chat_id', 'pinned_message', 'connected_website', 'proximity_alert_triggered',
        'forum_topic_created', 'forum_topic_edited', 'forum_topic_closed', 'forum_topic_reopened',
        'general_forum_topic_hidden', 'general_forum_topic_unhidden', 'video_chat_scheduled',
        'video_chat_started', 'video_chat_ended', 'video_chat_participants_invited', 'boost_added',
        'chat_background_set', 'direct_message_price_changed', 'paid_message_price_changed',
        'suggested_post_approved', 'suggested_post_approval_failed', 'suggested_post_declined',
        'suggested_post_paid', 'suggested_post_refunded'
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
