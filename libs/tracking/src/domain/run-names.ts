import { randomInt } from 'node:crypto';

// MLflow names unnamed runs "<adjective>-<noun>-<number>" (mlflow/utils/name_utils.py); a shorter list does.
const ADJECTIVES = [
  'bright',
  'calm',
  'clever',
  'bold',
  'brave',
  'gentle',
  'honest',
  'keen',
  'lucky',
  'merry',
  'quiet',
  'rare',
  'sleek',
  'swift',
  'wise',
  'zealous',
];
const NOUNS = ['ant', 'bass', 'cat', 'crow', 'deer', 'eel', 'finch', 'fox', 'hare', 'koi', 'lark', 'mole', 'owl', 'seal', 'stag', 'wren'];

export function generateRunName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}-${NOUNS[randomInt(NOUNS.length)]}-${randomInt(1000)}`;
}
