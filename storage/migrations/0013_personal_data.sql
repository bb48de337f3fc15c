-- Deleting a person's data reaches what is about them in other people's rows (issue 17 item 3;
-- the list of what holds personal data, and what deletion does to it, is storage/personal.py).

-- The person a message is about, when it is not its recipient: a question a family sent to the
-- officers (their name and words), a declaration the officers are told of (the head's name).
-- Deleting that person redacts those messages in our copy, sent or not (and cancels unsent ones).
ALTER TABLE outbox ADD COLUMN about_id INTEGER REFERENCES users(id) ON DELETE SET NULL;
CREATE INDEX outbox_about ON outbox(about_id) WHERE about_id IS NOT NULL;

-- Who asked a question the knowledge base could not answer, when they had accepted the notice:
-- never shown (the list of misses stays anonymous to its readers), kept only so that deleting
-- the person deletes what they typed. Rows logged before this migration have no link.
ALTER TABLE faq_misses ADD COLUMN user_id INTEGER REFERENCES users(id) ON DELETE CASCADE;
CREATE INDEX faq_misses_user ON faq_misses(user_id) WHERE user_id IS NOT NULL;

-- Messages already queued about a person, found by their purposes.
UPDATE outbox SET about_id = (
    SELECT q.user_id FROM faq_questions q WHERE outbox.purpose = 'faq-question:' || q.id
) WHERE purpose LIKE 'faq-question:%';
UPDATE outbox SET about_id = (
    SELECT d.user_id FROM declarations d WHERE outbox.purpose LIKE 'decl-new:' || d.id || ':%'
) WHERE purpose LIKE 'decl-new:%';
