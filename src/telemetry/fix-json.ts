/** The fix line shape lives with the GNSS reader; the codec re-exports it. */
export { fixFromJson, FixJsonError, type Fix, type FixJson } from '../gnss/fix.js';
