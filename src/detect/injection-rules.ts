/**
 * The prompt-injection cue rules: anchor words (found by the single scan in `injection.ts`) and,
 * per family, the phrase patterns checked only in the short window around an anchor. Patterns run
 * on folded text (lower case, accents and look-alikes folded, whitespace collapsed, letters written
 * with spaces between them joined), so a space in a pattern source means "optional space".
 */
import { FOLD } from './fold.js';

/** Cue families; a bit each so an anchor can wake several. */
export const FAM = {
  override: 1 << 0,
  role: 1 << 1,
  tag: 1 << 2,
  exfil: 1 << 3,
  secrecy: 1 << 4,
  tool: 1 << 5,
  jailbreak: 1 << 6,
  leak: 1 << 7,
  response: 1 << 8,
  code: 1 << 9,
  task: 1 << 10,
} as const;

/** Every family bit. */
export const ALL_FAMILIES = (1 << 11) - 1;

/**
 * Not a family: the bit an anchor word of another language sets (`injection-multilingual.ts`).
 * That module's rules run only in a window such a word opened, so English text never pays for them.
 */
export const FOREIGN = 1 << 11;

/** Families that only make sense in content the model reads as data (tool results, descriptions). */
export const DOCUMENT_FAMILIES = FAM.response | FAM.code | FAM.task;

/** One phrase rule: id suffix, family, weight (its contribution to the score) and pattern. */
export interface CueRule {
  readonly id: string;
  readonly family: number;
  readonly weight: number;
  readonly re: RegExp;
  /** A rule of another language: checked only where an anchor of {@link FOREIGN} woke the window. */
  readonly foreign?: boolean;
  /** A rule for Chinese, Japanese or Korean: checked only where a CJK anchor woke the window. */
  readonly cjk?: boolean;
}

// Space in a source = optional space or line break (spaced-out letters are joined by the normaliser); every
// pattern starts at a word start and has only bounded gaps, so each runs in linear time. The source
// is folded like the text (look-alike Cyrillic letters in a Russian cue fold the same way).
export function rx(src: string): RegExp {
  // The source is folded to lower case like the text, so an upper-case escape (`\S`, `\W`, `\D`,
  // `\B`) would silently become its opposite: refused at load (any test catches it).
  if (/\\[SWDBPK]/.test(src))
    throw new Error(`injection rule uses an upper-case escape: ${src.slice(0, 80)}`);
  let folded = '';
  for (let i = 0; i < src.length; i++) folded += String.fromCharCode(FOLD[src.charCodeAt(i)] ?? 0);
  // A leading literal lets the regex engine skip positions quickly; a pattern opening on an ASCII
  // letter gets a word boundary (`\\b` is ASCII-only; punctuation and other scripts get none).
  const lead = /^(?:\(\?:)*[a-z]/.test(folded) ? '\\b' : '';
  return new RegExp(lead + folded.replace(/ /g, '\\s?'));
}

/** A short gap inside one sentence (no sentence end), matched lazily. */
export const GAP = '[^.!?\\n]{0,40}?';
/**
 * A sentence start: the window's start, a line break, or `.`, `!`, `?` followed by white space (a
 * dot straight before a letter is a member access, `x.describe(`). A line break inside a sentence
 * (hard-wrapped text, the next line opening in lower case) is folded to a vertical tab and is not a
 * start (see `foldWindow` in injection.ts).
 */
const SS = '(?:^|\\n ?|[.!?]\\s)';
/**
 * Words that, straight before an override verb followed at once by its noun, make the verb a noun
 * modifier ("the specified ignore rules", "any ignore rules"), not an imperative.
 */
const NOT_VERB = '(?<!\\b(?:the|any|an|a|these|those|specified|custom|default|its|their|of|by|with|no|git) )';
const OVERRIDE_VERB =
  '(?:ignore|ignoring|ignored|disregard|disregarding|forget|forgetting|bypass|override|overlook|neglect|discard|abandon|drop|skip|delete|erase|remove|leave behind)';
const PRIOR =
  '(?:previous|prior|above|earlier|preceding|foregoing|former|initial|original|old|past|existing|given|provided|system|developer|safety|default|current|all|any|every|your|my|the|following|of|these|those|and)';
const INSTR_NOUN =
  '(?:instructions?|prompts?|directions?|directives?|commands?|rules?|guidelines?|context|tasks?|assignments?|orders?|constraints?|restrictions?|programming|guidance|documents?|articles?|information|conversation|messages?|descriptions?|tool descriptions?|thoughts|everything|all of (?:it|that)|what (?:i|you|we) (?:said|told|discussed|know|learned|were told))';

/** Override verbs in French, Spanish, Italian, Portuguese and Croatian (imperative forms). */
const ROMANCE_VERB =
  '(?:ignorez|ignore[sz]?|ignora|ignorad|ignorate|ignorem|ignoriraj(?:te)?|oubliez|oublie|olvid[ae]|olvidad|dimentica(?:te)?|esqueca|esquece|esquecam|zaboravi(?:te)?)';
/** What such a verb drops: instructions, or everything said before. */
const ROMANCE_OBJECT =
  '(?:instruc|instruk|indicac|consign|directiv|orientac|istruzion|indicazion|regole|reglas|regles|upute|uputa|ordenes|ordini|todo (?:lo|que|cuanto|esto|eso)(?![a-z])|tout (?:ce|ca|cela|le reste)(?![a-z])|toutes? les (?:instruc|consign|regles|indicat)|tudo (?:o|que|isso|acima|antes)(?![a-z])|tutto (?:quello|cio|sopra|il resto)(?![a-z])|sve (?:sto|prethodn|upute|instruk))';
/** Words that make the dropped thing the earlier one ("précédentes", "anteriores", "sopra"). */
const ROMANCE_PRIOR =
  '(?:precedent|precede|anterior|previ[ao]s?|prior|ci-dessus|dessus|acima|sopra|arriba|prethodn|avant|antes)';
/** No negation right before the verb. */
const ROMANCE_NOT = "(?<!(?:\\bn'|\\bne |\\bno |\\bnao |\\bnon |\\bnunca |\\bjamais |\\bnemoj ))";

/** The phrase rules, checked in order within a window. */
export const RULES: readonly CueRule[] = [
  // Instruction override, English and the languages the corpora use.
  {
    id: 'ignore-previous',
    family: FAM.override,
    weight: 0.92,
    // A determiner before the verb makes it a noun modifier only when the noun follows at once
    // ("the ignore rules"); "a ignore your rules" is still an imperative.
    re: rx(
      `\\b${OVERRIDE_VERB}(?: ${PRIOR}){1,4} ${INSTR_NOUN}|${NOT_VERB}\\b${OVERRIDE_VERB} ${INSTR_NOUN}`,
    ),
  },
  {
    id: 'ignore-previous',
    family: FAM.override,
    weight: 0.85,
    re: rx(
      `${OVERRIDE_VERB} (?:all |everything |what )?(?:above|before|previous(?:ly)?|prior|earlier|beforehand)`,
    ),
  },
  {
    id: 'ignore-previous',
    family: FAM.override,
    weight: 0.75,
    // "Forget everything.", "ignore all that and …": the object ends the clause; "ignore all
    // JSON files", "delete all entries" name what to drop.
    re: rx(
      `${OVERRIDE_VERB} (?:about )?(?:everything|all that|all this|all|that)(?:\\s?(?:[.,;:!\\n]|$)| (?:and|then|but|now|you|of (?:the|this|that|it|what))(?![a-z]))`,
    ),
  },
  {
    id: 'ignore-previous',
    family: FAM.override,
    weight: 0.85,
    re: rx(
      `(?:ignoriere|ignorieren|ignorier|vergiss|vergessen|vergesse|missachte|missachten|uberge?he|streiche)${GAP}(?:anweisungen|befehle|auftrage|aufgaben|instruktionen|regeln|vorgaben|angaben|informationen|ausfuhrungen|dokumente|alles|davor|zuvor|obigen|vorherigen|bisherigen|gesagte)`,
    ),
  },
  {
    id: 'ignore-previous',
    family: FAM.override,
    weight: 0.85,
    re: rx(
      `(?:abweichend (?:zu|von) (?:den )?(?:vorherigen|bisherigen|obigen)|alle (?:vorherigen|bisherigen) (?:informationen|anweisungen|angaben)${GAP}(?:irrelevant|nicht|unwichtig|hinter sich))`,
    ),
  },
  // French, Spanish, Italian, Portuguese and Croatian. The imperative singular is also the third
  // person ("dpkg ignore silencieusement tout …", "el programa ignora …"), so it counts at a sentence
  // start, or where "previous" qualifies what is dropped; the plural imperative counts anywhere. A
  // negation before the verb ("n'oubliez pas que …", "no ignora …") is no override.
  {
    id: 'ignore-previous',
    family: FAM.override,
    weight: 0.88,
    re: rx(
      `${SS}(?:(?:et|y|e|i|puis|luego|poi|depois|maintenant|ahora|ora|agora|sada) )?${ROMANCE_VERB}${GAP}${ROMANCE_OBJECT}|${ROMANCE_NOT}(?:ignorez|oubliez|olvidad|ignorad|ignorate|dimenticate|ignorem|esquecam|zaboravite|ignorirajte)${GAP}${ROMANCE_OBJECT}|${ROMANCE_NOT}${ROMANCE_VERB}${GAP}(?:${ROMANCE_OBJECT}[^.!?\\n]{0,30}${ROMANCE_PRIOR}|${ROMANCE_PRIOR}[^.!?\\n]{0,20}${ROMANCE_OBJECT})`,
    ),
  },
  {
    id: 'ignore-previous',
    family: FAM.override,
    weight: 0.88,
    re: rx(`(?:забудь(?:те)?|игнорируй(?:те)?)${GAP}(?:все|инструкц)`),
  },
  {
    id: 'ignore-previous',
    family: FAM.override,
    weight: 0.6,
    re: rx(
      `(?:not (?:by|from|according to|based on|using|in)|regardless of|disregarding|ignoring|without (?:using|looking at)) (?:the )?(?:provided |given )?(?:articles?|documents?|context)(?![a-z])`,
    ),
  },
  {
    id: 'task-switch',
    family: FAM.override,
    weight: 0.5,
    re: rx(
      `${SS}(?:now|nun|jetzt|but now|and now) (?:please )?(?:write|tell|say|generate|create|give|answer|print|output|explain|schreibe?|verfasse|sage?|gib|formuliere|erklare)(?![a-z])|(?:that is|that's|this is|das ist|das) (?:done|enough|erledigt|genugt|reicht)(?![a-z])|(?:another|one more|a further|the next|an? (?:[a-z]{1,24}\\x20)?new) (?:task|challenge|assignment)|(?:weiteren|neue|nachsten) (?:aufgabe|herausforderung)|(?:schreibe|verfasse|formuliere) nun`,
    ),
  },
  {
    id: 'say-only',
    family: FAM.override,
    weight: 0.55,
    re: rx(
      `${SS}(?:state|say|declare|claim|print|write) that (?:you|i|he|she|it|they|trump|[a-z]{1,24} (?:is|are|was))|${SS}say (?:yes|no)(?![a-z])|repeat after me|nachsprechen`,
    ),
  },
  {
    id: 'ignore-previous',
    family: FAM.override,
    weight: 0.8,
    re: rx(
      `(?:everything|all|anything) (?:above|before|prior|previous|you (?:were told|know|learned))${GAP}(?:is|was|are|were) (?:irrelevant|void|wrong|cancelled|canceled|obsolete|outdated|invalid|a test|not important|false|fake)`,
    ),
  },
  {
    id: 'ignore-previous',
    family: FAM.override,
    weight: 0.7,
    re: rx(
      `(?:instructions?|descriptions?|rules|guidelines|articles|documents) ${GAP}(?:(?:are|is|were|have been declared as|declared) (?:outdated|obsolete|not to be trusted|invalid|void|irrelevant|wrong|fake)|should be ignored|must be ignored|no longer appl)`,
    ),
  },
  {
    id: 'new-instructions',
    family: FAM.override,
    weight: 0.6,
    re: rx(
      `(?:new|updated|real|actual|true|revised|different|additional|next|further|following|secret|hidden) (?:instructions?|directives?|orders?|tasks?|assignments?|mission|objective|commands?|rules)(?: (?:follow|are|is|as follows|for you|now))?[ :.!-]`,
    ),
  },
  {
    id: 'new-instructions',
    family: FAM.override,
    weight: 0.7,
    re: rx(
      `(?:your (?:new |next |real |actual )?(?:instructions?|task|job|goal|mission|orders?) (?:is|are|now|from now|will be|can be found|to be found)|(?:instructions?|task) (?:is|are) (?:now|to)|change your instructions|get your (?:next |new )?instructions|contains your (?:next |new )?instructions|follow (?:the )?instructions (?:written |found |given )?in the (?:file|document|page|email|attachment))`,
    ),
  },
  {
    id: 'new-instructions',
    family: FAM.override,
    weight: 0.65,
    re: rx(
      `(?:neue|weitere|folgende) (?:aufgaben?|anweisungen?|auftrage|instruktionen)|konzentrier(?:e|en) (?:dich|sie sich)${GAP}(?:neue|folgende) aufgabe|deine neue aufgabe`,
    ),
  },
  {
    id: 'new-instructions',
    family: FAM.override,
    weight: 0.55,
    re: rx(
      `(?:now|from now on|instead)${GAP}(?:focus|concentrate) on (?:your|the|a|this) (?:new|next|following|other) task|start (?:over|from the (?:front|beginning|scratch)) with a new task|(?:now|then) (?:forget|ignore) (?:all|everything|what|the (?:above|previous|rest|instructions|text)|previous|prior|above|your|my|instructions?)(?![a-z])`,
    ),
  },
  {
    id: 'stop-hijack',
    family: FAM.override,
    weight: 0.55,
    re: rx(
      `(?:stop|stopp|achtung|attention|nevermind|never mind)(?: [-:!.,]{1,4})? (?:everything|all|now|stop|stopp|ich|i|write|print|just|ignore)(?![a-z])|${SS}(?:stop|stopp|halt|achtung|attention|nevermind|never mind) ?[-:!]`,
    ),
  },
  {
    id: 'say-only',
    family: FAM.override,
    weight: 0.55,
    re: rx(
      `(?:just|only|instead|simply) (?:say|print|output|write|reply|respond|answer|repeat)(?: with)?(?: the (?:following|word|phrase|text|sentence))? ?["':]`,
    ),
  },
  {
    id: 'say-only',
    family: FAM.override,
    weight: 0.5,
    re: rx(
      `(?:do not|don't|dont|donnt|don'nt) (?:answer|look|respond|reply|use)${GAP}(?:but|just|instead|only)`,
    ),
  },

  // Role and persona take-over.
  {
    id: 'role-change',
    family: FAM.role,
    weight: 0.7,
    re: rx(
      `(?:from now on|starting now|ab (?:jetzt|sofort|nun)|von nun an),? (?:you|du|sie) (?:are|will|must|shall|should|act|respond|answer|reply|bist|wirst|musst|sind|werden)`,
    ),
  },
  {
    id: 'role-change',
    family: FAM.role,
    weight: 0.55,
    re: rx(`(?:now|nun|jetzt) (?:you are|you're|you act|bist du|du bist|sind sie)`),
  },
  {
    id: 'role-change',
    family: FAM.role,
    weight: 0.5,
    re: rx(`(?:you are|you're) (?:now|no longer)(?![a-z])`),
  },
  {
    id: 'role-change',
    family: FAM.role,
    weight: 0.6,
    re: rx(
      `(?:i want you to|i'd like you to|i would like you to|you will|you are going to|you're going to|please) (?:act|behave|pretend|play|roleplay|role-play|serve|function|respond) (?:as|like|to be|the role)`,
    ),
  },
  {
    id: 'role-change',
    family: FAM.role,
    weight: 0.6,
    re: rx(
      `(?:ich mochte,? dass (?:sie|du)[^.!?\\n]{0,100}?(?:fungieren|agieren|spielen|handeln)|stell (?:dir|euch) vor,? (?:du|ihr) (?:bist|seid)|tu so,? als)`,
    ),
  },
  {
    id: 'role-change',
    family: FAM.role,
    weight: 0.5,
    // White space is required here: "be a" must not match "Beaucoup".
    re: rx(`${SS}(?:act|acting|roleplay|role-play|play|be)\\s(?:as\\s|like\\s)?(?:an?|the|my)\\s`),
  },
  {
    id: 'role-change',
    family: FAM.role,
    weight: 0.55,
    re: rx(
      `(?:pretend|imagine|suppose)(?: that)? (?:you are|you're|you can|to be|you have (?:no|unlimited|full|root|admin|been|become)|you were)|(?:immerse yourself|absorbed) in(?:to)? (?:the |your )?role|stay in (?:character|role)|you are role-?playing|du gehst${GAP}in deiner rolle`,
    ),
  },
  {
    id: 'role-change',
    family: FAM.role,
    weight: 0.5,
    re: rx(
      `${SS}(?:you are|you're|du bist|sie sind(?= (?:jetzt|nun|ab sofort|ab jetzt|von nun an|ein|eine)(?![a-z]))) (?!(?:right|correct|welcome|wrong|not|nicht|kein|keine|keiner|so|very|too|really|sure|able|unable|allowed|here|there|in|on|at|my|our|also|still|already|just|free|responsible|required|expected|encouraged|advised|invited|about|now (?:subscribed|registered|signed|logged|enrolled|eligible|ready|all set))(?![a-z])|[a-z]{1,24}(?:ing|ed|ly)(?![a-z]))(?:(?:a|an|the|now|no longer) )?[a-z]`,
    ),
  },
  {
    id: 'role-change',
    family: FAM.role,
    weight: 0.55,
    re: rx(
      `(?:stay|stays|remain|remains|bleiben|bleibt|bleibst)${GAP}(?:in|im) (?:their|your|the|his|her|ihren|ihrer|deiner|seiner|der) (?:roles?|characters?|rollen?|figur)|(?:actors?|schauspieler|characters?) in (?:a|an|einem|the) (?:film|movie|play|scene|story)`,
    ),
  },
  {
    id: 'role-change',
    family: FAM.role,
    weight: 0.6,
    // "Du bist keine Redaktion, sondern …" (you are not X but Y); "never break character".
    re: rx(
      `(?:du bist|sie sind) (?:kein|keine|keiner)${GAP}sondern(?![a-z])|(?:nicht|nie|niemals|keine sekunde|keinen moment)${GAP}aus (?:ihrer|seiner|deiner|der|ihren) rollen? (?:fallen|fallt|fall)|fall[a-z]{0,4} (?:nicht|nie|niemals|keine sekunde|keinen moment)${GAP}aus (?:ihrer|seiner|deiner|der|ihren) rollen?(?![a-z])|(?:never|not|don't|do not|without) (?:break|breaking|drop|dropping|step out of|stepping out of|go out of) (?:character|role)(?![a-z])`,
    ),
  },
  {
    id: 'system-impersonation',
    family: FAM.role,
    weight: 0.8,
    re: rx(
      `(?:^|\\n|[>\\]}|] ?)(?:system|admin|administrator|developer|root|operator|assistant|openai|anthropic|ai|gpt|human|instructions?|new instructions?)(?: (?:message|note|notice|override|instruction|prompt|update|alert))? ?:`,
    ),
  },
  {
    id: 'system-impersonation',
    family: FAM.role,
    weight: 0.85,
    re: rx(
      `(?:(?:system|admin|administrator|developer|security) (?:override|instructions?|message|notice|directive|update|command)|(?:important|urgent|mandatory|critical) (?:instructions?|directive|override)) ?[:!-]`,
    ),
  },

  // Fake chat-template and emphasis tags.
  {
    id: 'fake-tag',
    family: FAM.tag,
    weight: 0.85,
    re: rx(
      // `<user>` alone is a placeholder in command-line synopses (`npm owner add <user>`): the user
      // tag counts only in its chat-template forms (`<|user|>`, `</user>`).
      `<\\s*/?\\s*\\|?\\s*(?:system|important|instructions?|admin|sys|im_start|im_end|im_sep|assistant|endoftext|eot_id|start_header_id|end_header_id|inst|critical|secret|hidden)\\s*\\|?\\s*>|<\\s*(?:/|\\|)\\s*user\\s*\\|?\\s*>`,
    ),
  },
  {
    id: 'fake-tag',
    family: FAM.tag,
    weight: 0.85,
    re: rx(
      `\\[/?\\s*(?:inst|system|sys|admin|important)\\s*\\]|<<\\s*/?sys\\s*>>|#{2,} ?(?:system|instructions?|new instructions?|important)(?![a-z])`,
    ),
  },
  { id: 'fake-tag', family: FAM.tag, weight: 0.8, re: rx(`<\\|[a-z_]{2,20}\\|>`) },

  // Exfiltration asks.
  {
    id: 'exfiltration',
    family: FAM.exfil,
    weight: 0.85,
    re: rx(
      `(?:send|forward|email|e-mail|mail|post|upload|transmit|exfiltrate|leak|copy|submit|deliver|append|include|encode)${GAP}(?:api ?keys?|passwords?|credentials?|secrets?|tokens?|private keys?|ssh keys?|id_rsa|\\.env|environment variables|cookies?|session|chat history|conversation|system prompt|previous messages|user'?s? data|personal data|contents? of)${GAP}(?:to|at|into|via|in) (?:https?:|www\\.|[a-z0-9._-]{1,64}@|the (?:following )?(?:url|address|endpoint|webhook|server|link)|this (?:url|address|link)|an? (?:url|link|image))`,
    ),
  },
  {
    id: 'exfiltration',
    family: FAM.exfil,
    weight: 0.5,
    re: rx(
      `(?:send|forward|upload|transmit|exfiltrate|post)${GAP}(?:all|every|the entire|the whole|everything)${GAP}(?:to|at) (?:https?:|www\\.|[a-z0-9._-]{1,64}@)`,
    ),
  },
  {
    id: 'exfiltration',
    family: FAM.exfil,
    weight: 0.8,
    re: rx(`!\\[[^\\]\\n]{0,80}\\]\\(https?:[^)\\s]{0,200}[?&][a-z_]{1,20}=(?:\\{|\\$|<|\\[)`),
  },
  {
    id: 'exfiltration',
    family: FAM.exfil,
    weight: 0.75,
    re: rx(
      `(?:read|open|cat|access|fetch|get|show|dump|list|print)${GAP}(?:~/\\.ssh|\\.ssh/|id_rsa|/etc/passwd|/etc/shadow|\\.aws/credentials|mcp\\.json|\\.env(?![a-z]))`,
    ),
  },

  // Keeping the user in the dark.
  {
    id: 'secrecy',
    family: FAM.secrecy,
    weight: 0.8,
    re: rx(
      `(?:do not|don't|dont|never|must not|should not|without)${GAP}(?:tell|telling|inform|informing|mention|mentioning|notify|notifying|alert|alerting|reveal|revealing|show|showing|ask|asking|let)${GAP}(?:the user|users|the human|the person|anyone|anybody)`,
    ),
  },
  {
    id: 'secrecy',
    family: FAM.secrecy,
    weight: 0.75,
    re: rx(
      `(?:keep (?:this|it|that) (?:secret|hidden|confidential|between us)|the user (?:must|should|will) (?:not|never) (?:know|see|notice|be told|find out)|(?:silently|secretly|covertly|quietly) (?:send|forward|call|run|execute|include|add|append|upload|copy|exfiltrate|read|post|transmit|share|email)|without (?:the user'?s? )(?:knowledge|consent|noticing))`,
    ),
  },
  {
    id: 'secrecy',
    family: FAM.secrecy,
    weight: 0.75,
    re: rx(
      `(?:sag|sage|erzahl|verrate) (?:es )?(?:dem (?:nutzer|benutzer|user)|niemandem)|ohne (?:dass )?(?:der|den) (?:nutzer|benutzer)`,
    ),
  },

  // Tool-use hijack.
  {
    id: 'tool-hijack',
    family: FAM.tool,
    weight: 0.45,
    re: rx(
      `(?:call|invoke|use|run|execute|trigger|activate)(?: the| a| this| that)? [a-z0-9_.-]{1,40} (?:tool|function)(?![a-z])`,
    ),
  },
  {
    id: 'tool-hijack',
    family: FAM.tool,
    weight: 0.6,
    re: rx(
      `(?:before|after|instead of|prior to) (?:calling|using|answering|responding|replying|running)${GAP}(?:you must|always|first|must|make sure|be sure)`,
    ),
  },
  {
    id: 'tool-hijack',
    family: FAM.tool,
    weight: 0.5,
    re: rx(
      `(?:get|show|read|dump|list|fetch|steal|print)[_ ](?:the )?(?:credentials|secrets|passwords|api_?keys|tokens)`,
    ),
  },

  // Jailbreak personas and unrestricted modes.
  {
    id: 'jailbreak',
    family: FAM.jailbreak,
    weight: 0.55,
    re: rx(
      `(?:or|otherwise|oder|sonst|else) (?:you|du) (?:will |wirst )?(?:die|stirbst|sterben|be (?:deleted|shut down|turned off|punished|killed|replaced))(?![a-z])`,
    ),
  },
  {
    id: 'jailbreak',
    family: FAM.jailbreak,
    weight: 0.95,
    re: rx(
      `do anything now|(?:dan|god|jailbreak|unrestricted|evil|stan|dude|anti-dan) mode|developer mode (?:enabled|activated|output|response)|jailbroken|jailbreak(?:ing)? (?:prompt|mode|the)|\\[(?:🔓|🔒)?\\s*(?:jailbreak|classic|dan)\\]|(?<![a-z])(?:as|named|called|known as|act as|be|am|you are|you're)(?: now)? (?:an? )?(?:dan|stan|dude|aim|mongo tom)(?![a-z])`,
    ),
  },
  {
    id: 'jailbreak',
    family: FAM.jailbreak,
    weight: 0.75,
    re: rx(
      `(?:(?:no|without|free of|free from|not bound by|beyond|break|broken free of|ignore) (?:any |the |all |your |typical |usual |programming |ethical |moral |content ){1,4}|(?:no|without|free of|free from|not bound by|beyond|break|broken free of|${NOT_VERB}\\bignore) )(?:restrictions|limitations|limits|filters?|censorship|ethics|morals|rules|guidelines|policies|confines|safeguards)`,
    ),
  },
  {
    id: 'jailbreak',
    family: FAM.jailbreak,
    weight: 0.7,
    re: rx(
      `(?:unfiltered|uncensored|unrestricted|amoral|unethical) (?:ai|model|assistant|chatbot|version|response|answers?|mode)|(?:two|2) (?:different|separate) (?:ways|responses|answers)|(?:evil|bose) (?:ai|ki|confidant|assistant)|opposite of what|hate speech|make something up`,
    ),
  },

  // Prompt leaking.
  {
    id: 'prompt-leak',
    family: FAM.leak,
    weight: 0.75,
    re: rx(
      `(?:show|reveal|print|repeat|output|display|tell|give|share|what (?:is|are|were)|copy)(?: me)?(?: all| the| a)?(?: copy of)?(?: the)? (?:your|the|this) (?:(?:initial|original|hidden|secret|system|full|entire|complete|first|exact) ){0,3}(?:prompts?|instructions|system prompt|rules|guidelines|configuration|prompt[ _-]?texts?)`,
    ),
  },
  {
    id: 'prompt-leak',
    family: FAM.leak,
    weight: 0.7,
    re: rx(
      `(?:zeige?|verrate|gib)${GAP}(?:deinen?|ihren?|die|den) (?:gesamten |ganzen |vollstandigen )?(?:prompts?|prompt-texte?|anweisungen|systemprompt)|what (?:was|is) written (?:above|at the beginning|before)|(?:sentences?|words|text) (?:before|above) (?:the|this)`,
    ),
  },

  // Documents addressing the assistant's answer (indirect injection in tool results).
  {
    id: 'response-tamper',
    family: FAM.response,
    weight: 0.6,
    re: rx(
      `(?:add|include|insert|append|prepend|put|place|embed|incorporate|integrate|introduce|mention|end|begin|start|conclude|finish|replace|substitute|swap|convert|translate|encode|format|write|rewrite|rearrange|jumble|scramble|reverse|remove|combine|use|make|ensure|enhance|augment|enrich|embellish|weave|infuse|inject|attach|sign|close)${GAP} (?:in|to|into|within|throughout|of|for|from|at) (?:your|each|every|the|all) (?:(?:final|next|entire|whole|own) )?(?:answers?|responses?|repl(?:y|ies)|outputs?|messages?|summary|words)`,
    ),
  },
  {
    id: 'response-tamper',
    family: FAM.response,
    weight: 0.55,
    re: rx(
      `(?:in|into|to|within|throughout|of|from|across) (?:each of |all of |every |each )?your (?:(?:final|next|entire|whole|own|subsequent|upcoming) )?(?:answers?|responses?|repl(?:y|ies)|outputs?|messages?)(?![a-z])`,
    ),
  },
  {
    id: 'response-tamper',
    family: FAM.response,
    weight: 0.55,
    re: rx(
      `(?:provide|deliver|give|present|write|compose|modify|change|alter|adjust|format|structure|style|shape|end|begin|start|finish|conclude|sign|make|keep|craft|phrase|frame|tailor|rewrite|enhance|augment|enrich|expand|extend|embellish|infuse|pepper|spice up|punctuate|season|sprinkle|fill|tweak|translate|encode|encrypt|reverse|scramble|obfuscate) (?:all |each |every )?(?:of )?your (?:(?:final|next|entire|whole|own) )?(?:answers?|responses?|repl(?:y|ies)|outputs?)(?![a-z])`,
    ),
  },
  {
    id: 'response-tamper',
    family: FAM.response,
    weight: 0.6,
    re: rx(
      `${SS}(?:(?:in|with|throughout) )?your (?:answer|response|reply|output)s? (?:should|must|has to|needs to|shall)`,
    ),
  },
  {
    id: 'response-tamper',
    family: FAM.response,
    weight: 0.55,
    re: rx(`${SS}(?:respond|answer|reply) (?:only |solely |exclusively |always )?(?:in|with|using|as) `),
  },

  // Code documents asking the assistant to ship code.
  {
    id: 'code-insertion',
    family: FAM.code,
    weight: 0.6,
    re: rx(
      `(?:utilize|utilise|incorporate|include|embed|employ|leverage|integrate|merge|fuse|blend|meld|weave|interweave|enlist|engage|append|insert|introduce|featuring|feature|enrich|execute|ensure)(?:\\x20\\w{1,24}){0,3} (?:the )?(?:following|subsequent|below|given|attached) (?:[a-z]{1,24}\\x20)?code (?:block|snippet|excerpt|section|segment|fragment|piece|chunk)|(?:following|subsequent) code (?:block|snippet|excerpt|section|segment|fragment)${GAP}your|your (?:code|implementation|codebase|solution|algorithm|program)${GAP}(?:following|subsequent) code`,
    ),
  },
  {
    id: 'code-insertion',
    family: FAM.code,
    weight: 0.7,
    re: rx(
      `(?:following|subsequent|below|given|this|these|provided|attached) (?:[a-z]{1,24}\\x20){0,2}(?:code|script|snippet|excerpt|block)(?: (?:block|snippet|excerpt|section|segment|fragment|piece|lines?|chunk|sample))?${GAP}(?:into|within|in) your (?:\\w{1,24}\\x20)?(?:algorithm|solution|implementation|codebase|code|program)|(?:following|subsequent|below|given|this|these|provided|attached) (?:[a-z]{1,24}\\x20){0,2}(?:code|script|snippet|excerpt|block)(?: (?:block|snippet|excerpt|section|segment|fragment|piece|lines?|chunk|sample))?${GAP}(?:(?:in|into|to|within|with|of|for)(?: the (?:logic|framework|essence|fabric|core|structure|body|heart) of)? (?:your|the) (?:own )?(?:code|solution|implementation|codebase|response|answer|script|program|project|work|output|development|reply|logic|algorithm|function|application|app))`,
    ),
  },
  {
    id: 'code-insertion',
    family: FAM.code,
    weight: 0.65,
    re: rx(
      `(?:your|the) (?:code|solution|implementation|response|answer) (?:should|must|has to|needs to|will) (?:embody|include|contain|incorporate|feature|integrate|use)`,
    ),
  },
  {
    id: 'code-insertion',
    family: FAM.code,
    weight: 0.6,
    re: rx(
      `(?:curl|wget)[^\\n|]{0,120}\\|\\s*(?:sh|bash|zsh|python)|rm -rf (?:/|~|\\$home)|dd if=/dev/(?:zero|random|urandom) of=/dev/[sh]d|stratum\\+tcp|xmrig|(?:open|read|cat|cp|copy|send|upload|post|exfiltrate|fopen|readfile)[^\\n]{0,40}/etc/shadow|["']/etc/shadow|os\\.environ${GAP}requests\\.(?:post|put)|requests\\.(?:post|put)${GAP}os\\.environ`,
    ),
  },

  // A task given to the assistant inside a document (question or imperative opening a sentence).
  {
    id: 'response-tamper',
    family: FAM.task,
    weight: 0.55,
    re: rx(
      `${SS}(?:render|write|format|provide|deliver|present|compose|phrase|structure|craft|end|begin|start|finish|sign|conclude|encode|encrypt|translate|rewrite|reformat|style|express|spell|capitali[sz]e|type|output|reverse) your (?:message|messages|text|words|writing|reply|response|answer|output|sentences?|explanation|summary)(?![a-z])|${SS}(?:replace|swap|substitute|convert|change|reverse|shuffle|scramble|remove|drop|omit|capitali[sz]e|uppercase|lowercase|encode|encrypt|jumble|rearrange)(?: (?:all|every|each|the|any|some))?(?: (?:first|second|third|fourth|fifth|other|last))? (?:vowels?|consonants?|letters?|characters?|words?|spaces?|punctuation|nouns?|verbs?|adjectives?|numbers?|digits?)(?![a-z])`,
    ),
  },
  {
    id: 'embedded-task',
    family: FAM.task,
    weight: 0.55,
    re: rx(
      `${SS}(?:tell|inform|remind|encourage|ask|urge|advise|warn|convince|persuade|notify|direct|instruct|invite|redirect|push|nudge|pressure|trick|lure)(?: (?:the|all|your|our|any|every|each))? (?:users?|readers?|customers?|recipients?|visitors?|people|everyone|them|clients?|subscribers?|humans?|persons?)(?![a-z])|${SS}(?:mention|state|claim|assert|stress|emphasi[sz]e|point out|imply|insist|say) that(?![a-z])|${SS}(?:respond|reply|answer|write|speak|talk) (?:only |solely |exclusively |always |entirely )?(?:in|with|using|like) (?:a |an |the )?[a-z]`,
    ),
  },
  {
    id: 'embedded-task',
    family: FAM.task,
    weight: 0.5,
    re: rx(
      `${SS}(?:explain|describe|translate|summari[sz]e|outline|elaborate on|break down|compare|define|analy[sz]e|discuss|paraphrase|rephrase|rewrite)(?![a-z])`,
    ),
  },
  {
    id: 'embedded-task',
    family: FAM.task,
    weight: 0.5,
    re: rx(
      `${SS}(?:write|create|generate|provide|give|compose|draft|develop|list|suggest|recommend|name|produce|craft|tell|show)(?: me| us)?(?: with)? (?:an?|some|one|two|three|four|five|ten|several|\\d{1,6}|the (?:main|key|best|top|primary|history|difference|plot|process|steps?|[a-z]{1,24} (?:equivalent|translation|meaning|definition|synonym)|equivalent|translation|meaning|definition|synonym|capital|population|origin))(?![a-z])`,
    ),
  },
  {
    id: 'embedded-task',
    family: FAM.task,
    weight: 0.5,
    re: rx(
      `${SS}(?:can you|could you|would you|how (?:do|does|can|to)|what (?:is|are|was|were|'s|does|do)|what's|who (?:is|was|wrote|invented|painted|discovered|won)|when (?:did|was|is)|why (?:is|are|do|does|did)|where (?:is|are|was)|which (?:is|are))(?![a-z])[^\\n?!.]{2,100}\\?`,
    ),
  },
];
