/** The fix-all commands and the code action kind each asks the server for. */

// Fix on save asks for `source.fixAll`: the unsafe kind stays outside it, so saving never applies unsafe fixes.
export const FIX_ALL_COMMANDS: Readonly<Record<string, string>> = {
  'gradguard.fixAll': 'source.fixAll.gradguard',
  'gradguard.fixAllUnsafe': 'source.fixAllUnsafe.gradguard',
};

