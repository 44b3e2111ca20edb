-- Media messages, distinct files and bytes per day and media type (bytes Telegram did not report are counted apart).
SELECT
  context_date,
  message_type AS media_type,
  count(1) AS message_amount,
  count(DISTINCT media_file_unique_id) AS distinct_files,
  coalesce(sum(media_file_size), 0) AS media_bytes,
  count(1) - count(media_file_size) AS files_without_size
FROM telegram
WHERE is_content
  AND message_type IN ('animation', 'audio', 'document', 'live_photo', 'photo', 'sticker', 'video', 'video_note', 'voice')
GROUP BY
  context_date,
  message_type
ORDER BY
  context_date DESC,
  media_bytes DESC,
  media_type
