-- runs.persons_relinked: how many stored persons a run that only brought new or replaced files linked and scored again (NULL: the whole province was recomputed)
ALTER TABLE runs ADD COLUMN IF NOT EXISTS persons_relinked BIGINT;
