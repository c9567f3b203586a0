/**
 * User confirmation of a held call through MCP elicitation (issue 4, `policy:approval`): the
 * question Warden asks (form mode, one boolean), whether a client can be asked, and how its answer
 * is read. Pure: the pipeline delivers the question in the client's era and hands back the answer.
 */
import { redactArgs } from '../../store/redact.js';

/** The one property of the confirmation form; `true` releases the call. */
export const CONFIRM_FIELD = 'approve';

/** Longest confirmation message, in characters (the redacted arguments are cut beyond it). */
export const MAX_MESSAGE_CHARS = 4000;

/** An `elicitation/create` request Warden sends on its own behalf. */
export interface ConfirmationRequest {
  readonly method: 'elicitation/create';
  readonly params: {
    readonly message: string;
    readonly requestedSchema: Readonly<Record<string, unknown>>;
  };
}

/**
 * True when declared client capabilities include form-mode elicitation: `elicitation: {}` (the
 * 2025-06-18 form, which means form mode) or `elicitation: { form: {…} }`; URL mode alone is not.
 */
export function supportsFormElicitation(capabilities: unknown): boolean {
  if (capabilities === null || typeof capabilities !== 'object') return false;
  const e = (capabilities as Record<string, unknown>).elicitation;
  if (e === null || typeof e !== 'object' || Array.isArray(e)) return false;
  const modes = e as Record<string, unknown>;
  if (modes.form === undefined && modes.url === undefined) return true;
  return modes.form !== null && typeof modes.form === 'object';
}

/**
 * The question for one held call: names the server, the tool and the rule, and shows the arguments
 * redacted as the approval queue shows them to an approver (secret-looking keys hidden, long
 * strings cut).
 */
export function confirmationRequest(
  target: { readonly server: string; readonly name: string },
  rule: string,
  args: unknown,
): ConfirmationRequest {
  const shown = args === undefined ? '(none)' : JSON.stringify(redactArgs(args), null, 2);
  let message =
    `Warden policy rule "${rule}" needs your confirmation before this call goes ahead.\n` +
    `Server: ${target.server}\nTool: ${target.name}\nArguments: ${shown}`;
  if (message.length > MAX_MESSAGE_CHARS) message = `${message.slice(0, MAX_MESSAGE_CHARS)}…`;
  return {
    method: 'elicitation/create',
    params: {
      message,
      requestedSchema: {
        type: 'object',
        properties: {
          [CONFIRM_FIELD]: {
            type: 'boolean',
            title: 'Approve this call',
            description: `Run ${target.name} on ${target.server} with the arguments shown`,
            default: false,
          },
        },
        required: [CONFIRM_FIELD],
      },
    },
  };
}

/**
 * Reads the client's answer (an elicitation result): only `action: "accept"` with the boolean
 * `approve` set to true confirms; decline, cancel, false, an error or anything malformed denies.
 */
export function confirmed(answer: unknown): boolean {
  if (answer === null || typeof answer !== 'object' || Array.isArray(answer)) return false;
  const a = answer as Record<string, unknown>;
  if (a.action !== 'accept') return false;
  const content = a.content;
  if (content === null || typeof content !== 'object' || Array.isArray(content)) return false;
  return (content as Record<string, unknown>)[CONFIRM_FIELD] === true;
}
