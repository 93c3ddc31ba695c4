import { InitialSchema1700000000000 } from './1700000000000-InitialSchema';
import { ExternalLinks1700000005000 } from './1700000005000-ExternalLinks';

/** Every migration, in order. New ones are appended here (typeorm runs the pending ones). */
export const migrations = [InitialSchema1700000000000, ExternalLinks1700000005000];
