/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ember-private.h"
#include "ember-pretokenize.h"
#include "ember-regex.h"

#define MAX_PATTERNS 6

/* The expressions are llama.cpp's (src/llama-vocab.cpp), which adapts the
 * tokenizer.json originals: case-insensitive groups are spelt out, and
 * \p{Lu}-style classes become "a letter that is not a-z". */
#define CONTRACTIONS "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
#define GPT2_PATTERN "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)"
#define LLAMA3_PATTERN \
  CONTRACTIONS "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
#define QWEN2_PATTERN \
  CONTRACTIONS "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
#define UPPER_THEN_LOWER "((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+"
#define LOWER_AFTER_UPPER "((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*"
#define PORO_PATTERN " ?[^(\\s|.,!?…。，、।۔،)]+"
#define CJK_PATTERN "[一-龥ࠀ-一가-퟿]+"

typedef struct {
  const char *patterns[MAX_PATTERNS];
  ember_pretokenizer_traits traits;
} pattern_set;

enum {
  SET_DEFAULT, SET_LLAMA3, SET_LLAMA3_PLAIN, SET_DEEPSEEK_LLM, SET_DEEPSEEK_CODER,
  SET_DEEPSEEK3, SET_FALCON, SET_STARCODER, SET_GPT2, SET_QWEN2, SET_QWEN35, SET_PORO,
  SET_VIKING, SET_TEKKEN, SET_CHAMELEON, SET_GPT4O, SET_SUPERBPE, SET_KIMI_K2,
  SET_BAILINGMOE, SET_SEED_CODER, SET_UFAKZEKA, SET_JAIS2,
};

/* Traits: ignore_merges, add_bos, clean_spaces, no_bos. */
static const pattern_set sets[] = {
  [SET_DEFAULT] = { {
      "[\\p{P}\\$\\+<=>\\^~\\|]+",
      GPT2_PATTERN,
      "\\p{N}+",
      "[0-9][0-9][0-9]",
    }, { false, false, true, false } },
  [SET_LLAMA3] = { { LLAMA3_PATTERN }, { true, true, true, false } },
  [SET_LLAMA3_PLAIN] = { { LLAMA3_PATTERN }, { false, false, true, false } },
  /* \u: characters that a Unicode normalisation would change. */
  [SET_DEEPSEEK_LLM] = { {
      "[\r\n]",
      "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-\u1F7Dᾀ-ᾴᾶ-ᾼ\u1FBEῂ-ῄῆ-ῌῐ-\u1FD3ῖ-\u1FDBῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤ\u2126ℨ\u212A-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+",
      "\\s?[!-/:-~！-／：-～‘-‟　-。]+",
      "\\s+$",
      CJK_PATTERN,
      "\\p{N}+",
    }, { false, false, false, false } },
  [SET_DEEPSEEK_CODER] = { {
      "[\r\n]",
      "\\s?\\p{L}+",
      "\\s?\\p{P}+",
      CJK_PATTERN,
      "\\p{N}",
    }, { false, false, false, false } },
  [SET_DEEPSEEK3] = { {
      "\\p{N}{1,3}",
      "[一-龥぀-ゟ゠-ヿ]+",
      "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
    }, { false, false, false, false } },
  [SET_FALCON] = { {
      "[\\p{P}\\$\\+<=>\\^~\\|`]+",
      GPT2_PATTERN,
      "[0-9][0-9][0-9]",
    }, { false, false, true, false } },
  [SET_STARCODER] = { { "\\p{N}", GPT2_PATTERN }, { false, false, true, false } },
  [SET_GPT2] = { { GPT2_PATTERN }, { false, false, true, false } },
  [SET_QWEN2] = { { QWEN2_PATTERN }, { false, false, false, false } },
  [SET_QWEN35] = { {
      CONTRACTIONS "|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    }, { false, false, false, false } },
  [SET_PORO] = { { PORO_PATTERN }, { false, false, false, false } },
  [SET_VIKING] = { { PORO_PATTERN, "\\p{N}" }, { false, false, false, false } },
  [SET_TEKKEN] = { {
      "[^\\r\\n\\p{L}\\p{N}]?" UPPER_THEN_LOWER "|[^\\r\\n\\p{L}\\p{N}]?" LOWER_AFTER_UPPER
      "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    }, { true, true, false, false } },
  [SET_CHAMELEON] = { {
      "<sentinel:[0-9]+>",
      "(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z",
      "([\\t\\n]|    |  )",
      "\\p{N}",
      "[\\p{P}!-/:-@\\[-`{-~]",
      GPT2_PATTERN,
    }, { false, true, false, false } },
  [SET_GPT4O] = { {
      "[^\\r\\n\\p{L}\\p{N}]?" UPPER_THEN_LOWER CONTRACTIONS "?|[^\\r\\n\\p{L}\\p{N}]?" LOWER_AFTER_UPPER
      CONTRACTIONS "?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    }, { false, false, false, false } },
  [SET_SUPERBPE] = { { "\\p{N}+", "(?=(\\d{3})+(?!\\d))" }, { false, false, false, false } },
  /* llama.cpp runs Kimi-K2's expression as hand-written code, in which a
   * word is letters that are not Han (marks not included); this is that. */
  [SET_KIMI_K2] = { {
      "\\p{Han}+|[^\\r\\n\\p{L}\\p{N}]?(?:(?!\\p{Han})\\p{L})+" CONTRACTIONS "?"
      "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    }, { false, false, false, false } },
  [SET_BAILINGMOE] = { {
      "'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+",
    }, { false, false, false, false } },
  [SET_SEED_CODER] = { {
      CONTRACTIONS "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}| ?[^\\s\\p{L}\\p{N}\\r\\n]+|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    }, { false, false, false, false } },
  [SET_UFAKZEKA] = { {
      "[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    }, { false, false, false, false } },
  [SET_JAIS2] = { {
      CONTRACTIONS "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+"
      "|\\s{512}(?!\\S)|\\s{256}(?!\\S)|\\s{128}(?!\\S)|\\s{64}(?!\\S)|\\s{32}(?!\\S)|\\s{16}(?!\\S)"
      "|\\s{8}(?!\\S)|\\s{4}(?!\\S)|\\s{1,2}(?!\\S)|\\s{1}",
    }, { false, false, true, false } },
};

/* Names as llama.cpp spells them, with the few that change a trait. */
static const struct {
  const char *name;
  int set;
  bool clean_spaces_off;
  bool no_bos;
} names[] = {
  { "default", SET_DEFAULT, false, false },
  { "llama3", SET_LLAMA3, false, false },
  { "llama-v3", SET_LLAMA3, false, false },
  { "llama-bpe", SET_LLAMA3, false, false },
  { "falcon3", SET_LLAMA3, false, false },
  { "falcon-h1", SET_LLAMA3, false, false },
  { "pixtral", SET_LLAMA3, false, false },
  { "midm-2.0", SET_LLAMA3, false, false },
  { "lfm2", SET_LLAMA3, false, false },
  { "deepseek-llm", SET_DEEPSEEK_LLM, false, false },
  { "deepseek-coder", SET_DEEPSEEK_CODER, false, false },
  { "deepseek-v3", SET_DEEPSEEK3, false, false },
  { "hunyuan-dense", SET_DEEPSEEK3, false, false },
  { "falcon", SET_FALCON, false, false },
  { "mpt", SET_GPT2, false, false },
  { "starcoder", SET_STARCODER, false, false },
  { "gpt-2", SET_GPT2, false, false },
  { "phi-2", SET_GPT2, false, false },
  { "jina-es", SET_GPT2, false, false },
  { "jina-de", SET_GPT2, false, false },
  { "gigachat", SET_GPT2, false, false },
  { "jina-v2-es", SET_GPT2, false, false },
  { "jina-v2-de", SET_GPT2, false, false },
  { "jina-v1-en", SET_GPT2, false, false },
  { "jina-v2-code", SET_GPT2, false, false },
  { "roberta-bpe", SET_GPT2, false, false },
  { "a.x-4.0", SET_GPT2, false, false },
  { "mellum", SET_GPT2, false, false },
  { "modern-bert", SET_GPT2, false, false },
  { "exaone4", SET_GPT2, false, false },
  { "jais-2", SET_JAIS2, false, false },
  { "refact", SET_STARCODER, false, false },
  { "command-r", SET_STARCODER, true, false },
  { "qwen2", SET_QWEN2, false, false },
  { "deepseek-r1-qwen", SET_QWEN2, false, false },
  { "kormo", SET_QWEN2, false, false },
  { "megrez", SET_QWEN2, false, false },
  { "hunyuan", SET_QWEN2, false, false },
  { "solar-open", SET_QWEN2, false, false },
  { "grok-2", SET_QWEN2, false, false },
  { "qwen35", SET_QWEN35, false, false },
  { "stablelm2", SET_QWEN2, false, false },
  { "olmo", SET_GPT2, false, false },
  { "dbrx", SET_LLAMA3_PLAIN, false, false },
  { "smaug-bpe", SET_LLAMA3_PLAIN, false, false },
  { "poro-chat", SET_PORO, false, false },
  { "bloom", SET_PORO, false, false },
  { "gpt3-finnish", SET_PORO, false, false },
  { "glm4", SET_LLAMA3_PLAIN, false, true },
  { "chatglm-bpe", SET_LLAMA3_PLAIN, false, true },
  { "viking", SET_VIKING, false, false },
  { "jais", SET_GPT2, false, false },
  { "tekken", SET_TEKKEN, false, false },
  { "smollm", SET_STARCODER, true, false },
  { "codeshell", SET_STARCODER, false, false },
  { "exaone", SET_STARCODER, false, false },
  { "chameleon", SET_CHAMELEON, false, false },
  { "minerva-7b", SET_STARCODER, false, false },
  { "mellum2", SET_STARCODER, false, false },
  { "gpt-4o", SET_GPT4O, false, false },
  { "llama4", SET_GPT4O, false, false },
  { "minimax-m2", SET_GPT4O, false, false },
  { "superbpe", SET_SUPERBPE, false, false },
  { "trillion", SET_GPT2, true, false },
  { "granite-docling", SET_GPT2, true, false },
  { "bailingmoe", SET_BAILINGMOE, false, false },
  { "bailingmoe2", SET_BAILINGMOE, false, false },
  { "llada-moe", SET_BAILINGMOE, false, false },
  { "seed-coder", SET_SEED_CODER, false, false },
  { "kimi-k2", SET_KIMI_K2, false, false },
  { "ufakzeka", SET_UFAKZEKA, false, false },
};

struct ember_pretokenizer {
  char *name;
  const pattern_set *set;
  ember_pretokenizer_traits traits;
  ember_regex *regexes[MAX_PATTERNS];
  size_t n_regexes;
};

const char *
ember_pretokenizer_known_name (size_t index)
{
  return index < sizeof names / sizeof names[0] ? names[index].name : NULL;
}

void
ember_pretokenizer_free (ember_pretokenizer *pre)
{
  if (pre == NULL)
    return;
  for (size_t i = 0; i < pre->n_regexes; i++)
    ember_regex_free (pre->regexes[i]);
  free (pre->name);
  free (pre);
}

ember_status
ember_pretokenizer_new (const char          *name,
                        ember_pretokenizer **out,
                        ember_error         *error)
{
  ember_pretokenizer *pre;
  size_t i;

  *out = NULL;
  for (i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp (names[i].name, name) == 0)
      break;
  if (i == sizeof names / sizeof names[0])
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "unknown pre-tokenizer “%s” (tokenizer.ggml.pre)", name);

  pre = calloc (1, sizeof *pre);
  if (pre == NULL || (pre->name = strdup (name)) == NULL)
    {
      free (pre);
      return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
    }
  pre->set = &sets[names[i].set];
  pre->traits = pre->set->traits;
  if (names[i].clean_spaces_off)
    pre->traits.clean_spaces = false;
  pre->traits.no_bos = names[i].no_bos;

  for (size_t p = 0; p < MAX_PATTERNS && pre->set->patterns[p] != NULL; p++)
    {
      ember_status status = ember_regex_new (pre->set->patterns[p], &pre->regexes[p], error);

      if (status != EMBER_OK)
        {
          ember_pretokenizer_free (pre);
          return status;
        }
      pre->n_regexes++;
    }
  *out = pre;
  return EMBER_OK;
}

const char *
ember_pretokenizer_get_name (const ember_pretokenizer *pre)
{
  return pre->name;
}

const ember_pretokenizer_traits *
ember_pretokenizer_get_traits (const ember_pretokenizer *pre)
{
  return &pre->traits;
}

size_t
ember_pretokenizer_get_n_patterns (const ember_pretokenizer *pre)
{
  return pre->n_regexes;
}

const char *
ember_pretokenizer_get_pattern (const ember_pretokenizer *pre,
                                size_t                    index)
{
  return index < pre->n_regexes ? pre->set->patterns[index] : NULL;
}

ember_status
ember_pretokenizer_split (const ember_pretokenizer *pre,
                          const uint32_t           *cps,
                          size_t                    n,
                          size_t                  **lengths,
                          size_t                   *n_pieces,
                          ember_error              *error)
{
  size_t *current = malloc (sizeof *current);
  size_t n_current = 1;

  *lengths = NULL;
  *n_pieces = 0;
  if (current == NULL)
    return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
  current[0] = n;
  if (n == 0)
    n_current = 0;

  for (size_t r = 0; r < pre->n_regexes; r++)
    {
      size_t *next = NULL, n_next = 0, capacity = 0, offset = 0;

      for (size_t i = 0; i < n_current; i++)
        {
          if (!ember_regex_split (pre->regexes[r], cps + offset, current[i],
                                  &next, &n_next, &capacity))
            {
              free (next);
              free (current);
              return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
            }
          offset += current[i];
        }
      free (current);
      current = next;
      n_current = n_next;
    }
  *lengths = current;
  *n_pieces = n_current;
  return EMBER_OK;
}
