/**
 * The quota classes USM counts separately: the budget keeps a lane for each, the usage
 * ledger counts calls by them. A module of its own so that both can name them without
 * importing each other.
 */
export type RequestClass = 'get' | 'post';
