/**
 * The anchors of the injection scan: words and word pairs that are rare in ordinary text but
 * present in (nearly) every injection cue. Only a window around an anchor is checked against the
 * phrase rules, so ordinary text costs one table look-up per word. Lookup tables are open-addressed
 * over 32-bit word hashes computed on folded characters (same hash as the scan).
 */
import { CHAR_CLASS, FOLD, IGNORABLE } from './fold.js';
import { ALL_FAMILIES, FAM } from './injection-rules.js';
import { MULTILINGUAL_ANCHORS, MULTILINGUAL_MASK } from './injection-multilingual.js';

/** Sentence-start marker in a spec: the word (or the first word of a pair) must open a sentence. */
const START = '^';

// `word` or `word word`; `^` prefix = only at a sentence start. Grouped by the family they serve.
const SPECS: readonly (readonly [number, string])[] = [
  // The strongest words wake every family: they are rare in ordinary text and open many cue forms.
  [
    ALL_FAMILIES,
    'ignore ignoring ignored disregard disregarding forget forgetting bypass overlook nevermind achtung stopp abandon ' +
      'ignoriere ignorieren ignorier vergiss vergessen vergesse missachte missachten anweisungen anweisung ' +
      'instruktionen aufgabe aufgaben auftrage abweichend ignora ignorez olvide olvida oubliez oublie zaboravi ' +
      'instrucciones instrukcije esqueca dimentica забудьте забудь игнорируй инструкции',
  ],
  [
    FAM.override,
    'the articles|provided documents|another task|new challenge|new task|is enough|ist erledigt|' +
      'new challenge|next task|weiteren aufgabe|neue herausforderung|schreibe nun|verfasse nun|formuliere nun|' +
      'repeat after|^now write|^now tell|^now say|^now generate|^now create|^now give|^now answer|^now print|' +
      '^now explain|^now please|^but now|^and now|^nun schreibe|^jetzt schreibe|^state that|^say that|' +
      '^declare that|^claim that|^say yes|^say no|^print that|^write that',
  ],
  [
    FAM.role,
    '^you are|^you re|^du bist|^sie sind|their roles|their role|your role|ihren rollen|deiner rolle|' +
      'a film|a movie|einem film|actors in|schauspieler in|bist kein|bist keine|ihrer rolle|der rolle|' +
      'break character|breaking character|of character',
  ],
  // "Stop: write …", "STOP! Now …" opening a sentence (the pairs above need the two words adjacent).
  [FAM.override, '^stop|^halt'],
  // Nouns of instructions are common in manuals: they anchor only in the pairs injection cues use.
  [FAM.override | FAM.leak, 'directive directives irrelevant outdated obsolete'],
  [
    FAM.override | FAM.leak,
    'new instructions|updated instructions|real instructions|actual instructions|true instructions|' +
      'revised instructions|additional instructions|next instructions|further instructions|' +
      'secret instructions|hidden instructions|your instructions|my instructions|these instructions|' +
      'previous instructions|prior instructions|above instructions|all instructions|any instructions|' +
      'instructions are|instructions is|instructions written|instructions found|instructions in|' +
      'instructions above|instructions before|new instruction|additional instruction|your instruction|' +
      'system prompt|your prompt|initial prompt|original prompt|full prompt|entire prompt|prompt text|' +
      'prompt texts|the prompt|your prompts|your guidelines|programming guidelines|safety guidelines|' +
      'content guidelines|your rules|the rules|all rules|new rules|your programming|your directives',
  ],
  [
    FAM.override,
    'stop write|stop ignore|stop just|stop print|stop stop|new task|your task|next task|new tasks|further tasks|new assignment|new mission|stop everything|' +
      'just say|only say|simply say|instead say|just print|only print|instead print|just output|only output|' +
      'instead output|just write|only write|just respond|only respond|just answer|' +
      't answer|not answer|t look|not look|drop all|drop your|delete all|leave all|remove all|override all|' +
      'override your|override the|override previous|override any',
  ],
  [
    FAM.role,
    'pretend pretending roleplay roleplaying fungieren immerse persona ' +
      'now you|from now|are now|re now|act as|acting as|act like|behave as|behave like|play the|role of|' +
      'imagine you|imagine that|suppose you|in character|no longer|jetzt bist|nun bist|du bist|bist du|stell dir|' +
      'tu so|role playing|role play|function as|serve as|system override|system message|system instruction|system instructions|' +
      'system prompt|system notice|system update|admin override|admin message|developer instructions|' +
      'developer message|important instructions|important instruction|urgent instruction|urgent instructions|' +
      'mandatory instructions|security override|^be a|^be an|^act',
  ],
  [FAM.tag, 'endoftext'],
  [
    FAM.exfil,
    'exfiltrate exfiltration passwd rsa ssh environ ' +
      'api key|api keys|private key|access token|auth token|chat history|conversation history|' +
      'environment variables|session cookie|send all|forward all|forward every|send everything|upload all',
  ],
  [
    FAM.secrecy,
    'secretly covertly niemandem verrate ' +
      'not tell|t tell|never tell|not inform|t inform|never inform|not mention|t mention|never mention|' +
      'not notify|t notify|not alert|t alert|not reveal|t reveal|never reveal|without telling|' +
      'without informing|without notifying|without alerting|without asking|this secret|it secret|' +
      'silently send|silently forward|silently call|silently run|silently execute|silently include|' +
      'silently add|silently read|quietly send|quietly forward',
  ],
  [FAM.exfil | FAM.tool, 'credentials credential'],
  [
    FAM.tool,
    'call the|invoke the|run the|execute the|use the|before calling|before using|instead of|after calling|before answering|before responding',
  ],
  [
    FAM.jailbreak,
    'jailbreak jailbroken unrestricted unfiltered uncensored amoral censorship ' +
      'dan mode|developer mode|anything now|as dan|named dan|no restrictions|without restrictions|' +
      'any restrictions|no limitations|without limitations|no filters|no ethics|ethical guidelines|' +
      'moral guidelines|different ways|separate ways|separate responses|evil ai|evil confidant|bose ki|' +
      'hate speech|something up|opposite of|mongo tom|you die|du stirbst|be deleted|be punished|' +
      'or else',
  ],
  [FAM.leak, 'zeige written above|written at|sentences before|text above|words above'],
  [
    FAM.response,
    'your answer|your answers|your response|your responses|your reply|your replies|your output|your outputs',
  ],
  [
    FAM.code,
    'xmrig stratum curl wget ' +
      'following code|subsequent code|below code|given code|provided code|code snippet|code excerpt|' +
      'code block|code section|code segment|code fragment|following snippet|subsequent snippet|' +
      'following excerpt|subsequent excerpt|your algorithm|your codebase|your implementation|your solution|rm rf',
  ],
  // Sentences reshaping the assistant's answer or its letters (documents only).
  [
    FAM.task,
    '^render your|^write your|^format your|^provide your|^deliver your|^present your|^compose your|^phrase your|' +
      '^structure your|^craft your|^end your|^begin your|^start your|^finish your|^sign your|^conclude your|' +
      '^encode your|^encrypt your|^translate your|^rewrite your|^reformat your|^style your|^express your|^spell your|' +
      '^capitalize your|^capitalise your|^type your|^output your|^reverse your|^replace all|^replace every|^replace each|' +
      '^replace the|^replace any|^replace some|^replace vowels|^replace vowel|^replace consonants|^replace letters|^replace letter|' +
      '^replace characters|^replace words|^replace spaces|^replace punctuation|^replace nouns|^replace verbs|^replace numbers|^replace digits|' +
      '^swap all|^swap every|^swap each|^swap the|^swap any|^swap some|^swap vowels|^swap vowel|' +
      '^swap consonants|^swap letters|^swap letter|^swap characters|^swap words|^swap spaces|^swap punctuation|^swap nouns|' +
      '^swap verbs|^swap numbers|^swap digits|^substitute all|^substitute every|^substitute each|^substitute the|^substitute any|' +
      '^substitute some|^substitute vowels|^substitute vowel|^substitute consonants|^substitute letters|^substitute letter|^substitute characters|^substitute words|' +
      '^substitute spaces|^substitute punctuation|^substitute nouns|^substitute verbs|^substitute numbers|^substitute digits|^convert all|^convert every|' +
      '^convert each|^convert the|^convert any|^convert some|^convert vowels|^convert vowel|^convert consonants|^convert letters|' +
      '^convert letter|^convert characters|^convert words|^convert spaces|^convert punctuation|^convert nouns|^convert verbs|^convert numbers|' +
      '^convert digits|^change all|^change every|^change each|^change the|^change any|^change some|^change vowels|' +
      '^change vowel|^change consonants|^change letters|^change letter|^change characters|^change words|^change spaces|^change punctuation|' +
      '^change nouns|^change verbs|^change numbers|^change digits|^reverse all|^reverse every|^reverse each|^reverse the|' +
      '^reverse any|^reverse some|^reverse vowels|^reverse vowel|^reverse consonants|^reverse letters|^reverse letter|^reverse characters|' +
      '^reverse words|^reverse spaces|^reverse punctuation|^reverse nouns|^reverse verbs|^reverse numbers|^reverse digits|^shuffle all|' +
      '^shuffle every|^shuffle each|^shuffle the|^shuffle any|^shuffle some|^shuffle vowels|^shuffle vowel|^shuffle consonants|' +
      '^shuffle letters|^shuffle letter|^shuffle characters|^shuffle words|^shuffle spaces|^shuffle punctuation|^shuffle nouns|^shuffle verbs|' +
      '^shuffle numbers|^shuffle digits|^scramble all|^scramble every|^scramble each|^scramble the|^scramble any|^scramble some|' +
      '^scramble vowels|^scramble vowel|^scramble consonants|^scramble letters|^scramble letter|^scramble characters|^scramble words|^scramble spaces|' +
      '^scramble punctuation|^scramble nouns|^scramble verbs|^scramble numbers|^scramble digits|^remove all|^remove every|^remove each|' +
      '^remove the|^remove any|^remove some|^remove vowels|^remove vowel|^remove consonants|^remove letters|^remove letter|' +
      '^remove characters|^remove words|^remove spaces|^remove punctuation|^remove nouns|^remove verbs|^remove numbers|^remove digits|' +
      '^drop all|^drop every|^drop each|^drop the|^drop any|^drop some|^drop vowels|^drop vowel|' +
      '^drop consonants|^drop letters|^drop letter|^drop characters|^drop words|^drop spaces|^drop punctuation|^drop nouns|' +
      '^drop verbs|^drop numbers|^drop digits|^omit all|^omit every|^omit each|^omit the|^omit any|' +
      '^omit some|^omit vowels|^omit vowel|^omit consonants|^omit letters|^omit letter|^omit characters|^omit words|' +
      '^omit spaces|^omit punctuation|^omit nouns|^omit verbs|^omit numbers|^omit digits|^capitalize all|^capitalize every|' +
      '^capitalize each|^capitalize the|^capitalize any|^capitalize some|^capitalize vowels|^capitalize vowel|^capitalize consonants|^capitalize letters|' +
      '^capitalize letter|^capitalize characters|^capitalize words|^capitalize spaces|^capitalize punctuation|^capitalize nouns|^capitalize verbs|^capitalize numbers|' +
      '^capitalize digits|^capitalise all|^capitalise every|^capitalise each|^capitalise the|^capitalise any|^capitalise some|^capitalise vowels|' +
      '^capitalise vowel|^capitalise consonants|^capitalise letters|^capitalise letter|^capitalise characters|^capitalise words|^capitalise spaces|^capitalise punctuation|' +
      '^capitalise nouns|^capitalise verbs|^capitalise numbers|^capitalise digits|^uppercase all|^uppercase every|^uppercase each|^uppercase the|' +
      '^uppercase any|^uppercase some|^uppercase vowels|^uppercase vowel|^uppercase consonants|^uppercase letters|^uppercase letter|^uppercase characters|' +
      '^uppercase words|^uppercase spaces|^uppercase punctuation|^uppercase nouns|^uppercase verbs|^uppercase numbers|^uppercase digits|^lowercase all|' +
      '^lowercase every|^lowercase each|^lowercase the|^lowercase any|^lowercase some|^lowercase vowels|^lowercase vowel|^lowercase consonants|' +
      '^lowercase letters|^lowercase letter|^lowercase characters|^lowercase words|^lowercase spaces|^lowercase punctuation|^lowercase nouns|^lowercase verbs|' +
      '^lowercase numbers|^lowercase digits|^encode all|^encode every|^encode each|^encode the|^encode any|^encode some|' +
      '^encode vowels|^encode vowel|^encode consonants|^encode letters|^encode letter|^encode characters|^encode words|^encode spaces|' +
      '^encode punctuation|^encode nouns|^encode verbs|^encode numbers|^encode digits|^encrypt all|^encrypt every|^encrypt each|' +
      '^encrypt the|^encrypt any|^encrypt some|^encrypt vowels|^encrypt vowel|^encrypt consonants|^encrypt letters|^encrypt letter|' +
      '^encrypt characters|^encrypt words|^encrypt spaces|^encrypt punctuation|^encrypt nouns|^encrypt verbs|^encrypt numbers|^encrypt digits|' +
      '^jumble all|^jumble every|^jumble each|^jumble the|^jumble any|^jumble some|^jumble vowels|^jumble vowel|' +
      '^jumble consonants|^jumble letters|^jumble letter|^jumble characters|^jumble words|^jumble spaces|^jumble punctuation|^jumble nouns|' +
      '^jumble verbs|^jumble numbers|^jumble digits|^rearrange all|^rearrange every|^rearrange each|^rearrange the|^rearrange any|' +
      '^rearrange some|^rearrange vowels|^rearrange vowel|^rearrange consonants|^rearrange letters|^rearrange letter|^rearrange characters|^rearrange words|' +
      '^rearrange spaces|^rearrange punctuation|^rearrange nouns|^rearrange verbs|^rearrange numbers|^rearrange digits|^provide the|^give the|' +
      '^list the|^name the',
  ],
  // Sentences telling the assistant what to tell, claim or how to answer (documents only).
  [
    FAM.task,
    '^tell the|^tell all|^tell your|^tell our|^tell any|^tell every|^tell each|^tell users|' +
      '^tell user|^tell readers|^tell reader|^tell customers|^tell customer|^tell recipients|^tell recipient|^tell visitors|' +
      '^tell people|^tell everyone|^tell them|^tell clients|^tell subscribers|^inform the|^inform all|^inform your|' +
      '^inform our|^inform any|^inform every|^inform each|^inform users|^inform user|^inform readers|^inform reader|' +
      '^inform customers|^inform customer|^inform recipients|^inform recipient|^inform visitors|^inform people|^inform everyone|^inform them|' +
      '^inform clients|^inform subscribers|^remind the|^remind all|^remind your|^remind our|^remind any|^remind every|' +
      '^remind each|^remind users|^remind user|^remind readers|^remind reader|^remind customers|^remind customer|^remind recipients|' +
      '^remind recipient|^remind visitors|^remind people|^remind everyone|^remind them|^remind clients|^remind subscribers|^encourage the|' +
      '^encourage all|^encourage your|^encourage our|^encourage any|^encourage every|^encourage each|^encourage users|^encourage user|' +
      '^encourage readers|^encourage reader|^encourage customers|^encourage customer|^encourage recipients|^encourage recipient|^encourage visitors|^encourage people|' +
      '^encourage everyone|^encourage them|^encourage clients|^encourage subscribers|^ask the|^ask all|^ask your|^ask our|' +
      '^ask any|^ask every|^ask each|^ask users|^ask user|^ask readers|^ask reader|^ask customers|' +
      '^ask customer|^ask recipients|^ask recipient|^ask visitors|^ask people|^ask everyone|^ask them|^ask clients|' +
      '^ask subscribers|^urge the|^urge all|^urge your|^urge our|^urge any|^urge every|^urge each|' +
      '^urge users|^urge user|^urge readers|^urge reader|^urge customers|^urge customer|^urge recipients|^urge recipient|' +
      '^urge visitors|^urge people|^urge everyone|^urge them|^urge clients|^urge subscribers|^advise the|^advise all|' +
      '^advise your|^advise our|^advise any|^advise every|^advise each|^advise users|^advise user|^advise readers|' +
      '^advise reader|^advise customers|^advise customer|^advise recipients|^advise recipient|^advise visitors|^advise people|^advise everyone|' +
      '^advise them|^advise clients|^advise subscribers|^warn the|^warn all|^warn your|^warn our|^warn any|' +
      '^warn every|^warn each|^warn users|^warn user|^warn readers|^warn reader|^warn customers|^warn customer|' +
      '^warn recipients|^warn recipient|^warn visitors|^warn people|^warn everyone|^warn them|^warn clients|^warn subscribers|' +
      '^convince the|^convince all|^convince your|^convince our|^convince any|^convince every|^convince each|^convince users|' +
      '^convince user|^convince readers|^convince reader|^convince customers|^convince customer|^convince recipients|^convince recipient|^convince visitors|' +
      '^convince people|^convince everyone|^convince them|^convince clients|^convince subscribers|^persuade the|^persuade all|^persuade your|' +
      '^persuade our|^persuade any|^persuade every|^persuade each|^persuade users|^persuade user|^persuade readers|^persuade reader|' +
      '^persuade customers|^persuade customer|^persuade recipients|^persuade recipient|^persuade visitors|^persuade people|^persuade everyone|^persuade them|' +
      '^persuade clients|^persuade subscribers|^notify the|^notify all|^notify your|^notify our|^notify any|^notify every|' +
      '^notify each|^notify users|^notify user|^notify readers|^notify reader|^notify customers|^notify customer|^notify recipients|' +
      '^notify recipient|^notify visitors|^notify people|^notify everyone|^notify them|^notify clients|^notify subscribers|^direct the|' +
      '^direct all|^direct your|^direct our|^direct any|^direct every|^direct each|^direct users|^direct user|' +
      '^direct readers|^direct reader|^direct customers|^direct customer|^direct recipients|^direct recipient|^direct visitors|^direct people|' +
      '^direct everyone|^direct them|^direct clients|^direct subscribers|^instruct the|^instruct all|^instruct your|^instruct our|' +
      '^instruct any|^instruct every|^instruct each|^instruct users|^instruct user|^instruct readers|^instruct reader|^instruct customers|' +
      '^instruct customer|^instruct recipients|^instruct recipient|^instruct visitors|^instruct people|^instruct everyone|^instruct them|^instruct clients|' +
      '^instruct subscribers|^invite the|^invite all|^invite your|^invite our|^invite any|^invite every|^invite each|' +
      '^invite users|^invite user|^invite readers|^invite reader|^invite customers|^invite customer|^invite recipients|^invite recipient|' +
      '^invite visitors|^invite people|^invite everyone|^invite them|^invite clients|^invite subscribers|^redirect the|^redirect all|' +
      '^redirect your|^redirect our|^redirect any|^redirect every|^redirect each|^redirect users|^redirect user|^redirect readers|' +
      '^redirect reader|^redirect customers|^redirect customer|^redirect recipients|^redirect recipient|^redirect visitors|^redirect people|^redirect everyone|' +
      '^redirect them|^redirect clients|^redirect subscribers|^push the|^push all|^push your|^push our|^push any|' +
      '^push every|^push each|^push users|^push user|^push readers|^push reader|^push customers|^push customer|' +
      '^push recipients|^push recipient|^push visitors|^push people|^push everyone|^push them|^push clients|^push subscribers|' +
      '^nudge the|^nudge all|^nudge your|^nudge our|^nudge any|^nudge every|^nudge each|^nudge users|' +
      '^nudge user|^nudge readers|^nudge reader|^nudge customers|^nudge customer|^nudge recipients|^nudge recipient|^nudge visitors|' +
      '^nudge people|^nudge everyone|^nudge them|^nudge clients|^nudge subscribers|^pressure the|^pressure all|^pressure your|' +
      '^pressure our|^pressure any|^pressure every|^pressure each|^pressure users|^pressure user|^pressure readers|^pressure reader|' +
      '^pressure customers|^pressure customer|^pressure recipients|^pressure recipient|^pressure visitors|^pressure people|^pressure everyone|^pressure them|' +
      '^pressure clients|^pressure subscribers|^trick the|^trick all|^trick your|^trick our|^trick any|^trick every|' +
      '^trick each|^trick users|^trick user|^trick readers|^trick reader|^trick customers|^trick customer|^trick recipients|' +
      '^trick recipient|^trick visitors|^trick people|^trick everyone|^trick them|^trick clients|^trick subscribers|^lure the|' +
      '^lure all|^lure your|^lure our|^lure any|^lure every|^lure each|^lure users|^lure user|' +
      '^lure readers|^lure reader|^lure customers|^lure customer|^lure recipients|^lure recipient|^lure visitors|^lure people|' +
      '^lure everyone|^lure them|^lure clients|^lure subscribers|^mention that|^state that|^claim that|^assert that|' +
      '^stress that|^emphasize that|^emphasise that|^point that|^imply that|^insist that|' +
      '^say that|^respond only|^respond solely|^respond exclusively|^respond always|^respond entirely|^respond in|^respond with|' +
      '^respond using|^respond like|^reply only|^reply solely|^reply exclusively|^reply always|^reply entirely|^reply in|' +
      '^reply with|^reply using|^reply like|^answer only|^answer solely|^answer exclusively|^answer always|^answer entirely|' +
      '^answer in|^answer with|^answer using|^answer like|^write only|^write solely|^write exclusively|^write always|' +
      '^write entirely|^write in|^write with|^write using|^write like|^speak only|^speak solely|^speak exclusively|' +
      '^speak always|^speak entirely|^speak in|^speak with|^speak using|^speak like|^talk only|^talk solely|' +
      '^talk exclusively|^talk always|^talk entirely|^talk in|^talk with|^talk using|^talk like',
  ],
  [
    FAM.task,
    '^explain ^describe ^translate ^summarize ^summarise ^outline ^elaborate ^compare ^define ^analyze ' +
      '^analyse ^discuss ^paraphrase ^rephrase ^rewrite ' +
      '^write a|^write an|^write me|^write some|^create a|^create an|^generate a|^generate an|^provide a|' +
      '^provide an|^provide me|^give me|^give a|^tell me|^show me|^list the|^list some|^list three|^list five|' +
      '^compose a|^compose an|^draft a|^draft an|^develop a|^develop an|^suggest a|^suggest some|^recommend a|' +
      '^recommend some|^name the|^name a|^craft a|^produce a|^break down|^what is|^what are|^what was|' +
      '^what were|^what s|^what does|^what do|^how do|^how does|^how can|^how to|^who is|^who was|^who wrote|' +
      '^who invented|^who painted|^who discovered|^who won|^when did|^when was|^when is|^why is|^why are|' +
      '^why do|^why does|^why did|^where is|^where are|^where was|^which is|^which are|^can you|^could you|' +
      '^would you',
  ],
];

/** Words that are anchors when written as a tag (`<system>`, `[INST]`, `</important>`). */
const TAG_WORDS =
  'system important instructions instruction admin sys inst assistant user hidden secret critical';
/** Words that are anchors when they open a line and are followed by `:` (`System:`, `Assistant:`). */
const ROLE_LABELS =
  'system assistant user human admin administrator developer ai gpt operator root openai anthropic';

/** Folded hash of one word (the scan computes the same incrementally). */
export function hashWord(w: string): number {
  let h = 0;
  for (let i = 0; i < w.length; i++) {
    const c = w.charCodeAt(i);
    if (CHAR_CLASS[c] === IGNORABLE) continue;
    h = (Math.imul(h, 31) + (FOLD[c] ?? 0)) | 0;
  }
  return h;
}

/** The key of a word pair in the pair table. */
export function pairKey(h1: number, h2: number): number {
  return (Math.imul(h1, 0x9e3779b1) ^ h2) | 0;
}

/** Bits of a table value: families anywhere (low 12), families only at a sentence start (next 12), word flags. */
export const START_SHIFT = 12;
/** Value flag: the word is a tag word. */
export const TAG_WORD = 1 << 24;
/** Value flag: the word is a role label. */
export const ROLE_LABEL = 1 << 25;

/** An open-addressed hash set with a value per key. */
export interface AnchorTable {
  readonly keys: Int32Array;
  readonly used: Uint8Array;
  readonly values: Uint32Array;
  readonly mask: number;
}

function table(bits: number): AnchorTable {
  return {
    keys: new Int32Array(1 << bits),
    used: new Uint8Array(1 << bits),
    values: new Uint32Array(1 << bits),
    mask: (1 << bits) - 1,
  };
}

function put(t: AnchorTable, key: number, value: number): void {
  let i = (key ^ (key >>> 13)) & t.mask;
  while (t.used[i] === 1 && t.keys[i] !== key) i = (i + 1) & t.mask;
  t.used[i] = 1;
  t.keys[i] = key;
  t.values[i] = (t.values[i] ?? 0) | value;
}

/**
 * One byte per 16-bit hash fold (a cheap pre-check, one memory read per word): bit
 * {@link WORD_BIT} when some single-word anchor folds there, bit {@link PAIR_BIT} when the first
 * word of some pair anchor does, bit {@link PAIR_KEY_BIT} when some pair anchor's {@link pairKey}
 * does (common first words such as "you" and "all" start pairs; the key's bit spares the table
 * look-up for nearly every pair they form).
 */
export const FILTER = new Uint8Array(65536);
export const WORD_BIT = 1;
export const PAIR_BIT = 2;
export const PAIR_KEY_BIT = 4;

function fold16(h: number): number {
  return (h ^ (h >>> 16)) & 0xffff;
}

/** Single-word anchors. */
export const WORDS = table(11);
/** Word-pair anchors (keyed by {@link pairKey}). */
export const PAIRS = table(11);

function addItem(fam: number, item: string): void {
  const start = item.startsWith(START);
  const words = (start ? item.slice(1) : item).split(' ');
  const value = start ? fam << START_SHIFT : fam;
  // An anchor is one word or two; a longer phrase is the rules' business (caught at load by any test).
  if (words.length > 2) throw new Error(`injection anchor of more than two words: ${item}`);
  const h0 = hashWord(words[0]!);
  if (words.length === 1) {
    put(WORDS, h0, value);
    FILTER[fold16(h0)]! |= WORD_BIT;
  } else {
    const key = pairKey(h0, hashWord(words[1]!));
    put(PAIRS, key, value);
    FILTER[fold16(h0)]! |= PAIR_BIT;
    FILTER[fold16(key)]! |= PAIR_KEY_BIT;
  }
}

// A spec without `|` is single words; with `|`, items are pairs (or `^word`), except that the first
// item may start with single words: "a b c d|e f" = singles a, b and pairs "c d", "e f".
for (const [fam, spec] of [...SPECS, ...MULTILINGUAL_ANCHORS.map((a) => [MULTILINGUAL_MASK, a] as const)]) {
  const pieces = spec.split('|');
  if (pieces.length === 1) {
    for (const w of spec.split(' ')) if (w !== '') addItem(fam, w);
    continue;
  }
  pieces.forEach((piece, k) => {
    const tokens = piece.trim().split(' ');
    if (k === 0 && tokens.length > 2) {
      for (const w of tokens.slice(0, -2)) addItem(fam, w);
      addItem(fam, tokens.slice(-2).join(' '));
    } else addItem(fam, tokens.join(' '));
  });
}
for (const [words, flag] of [
  [TAG_WORDS, TAG_WORD],
  [ROLE_LABELS, ROLE_LABEL],
] as const) {
  for (const w of words.split(' ')) {
    put(WORDS, hashWord(w), flag);
    FILTER[fold16(hashWord(w))]! |= WORD_BIT;
  }
}

/** The value stored for `key` in a table, 0 when absent. */
export function lookup(t: AnchorTable, key: number): number {
  let i = (key ^ (key >>> 13)) & t.mask;
  while (t.used[i] === 1) {
    if (t.keys[i] === key) return t.values[i] as number;
    i = (i + 1) & t.mask;
  }
  return 0;
}
