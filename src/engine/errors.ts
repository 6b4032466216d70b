/**
 * A problem the user can fix: one sentence saying what is wrong and what to do.
 * Commands print only the message and exit with code 2.
 */
export class UserError extends Error {
  override readonly name = 'UserError'
}
