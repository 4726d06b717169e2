/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#include "test-models.h"

static bool
fail (ember_error *error,
      const char  *what)
{
  if (error != NULL)
    {
      error->status = EMBER_ERROR_INVALID_ARGUMENT;
      g_snprintf (error->message, sizeof error->message, "test model: bad %s", what);
    }
  return false;
}

#define CHATML_TEMPLATE                                                              \
  "{% for message in messages %}"                                                    \
  "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}" \
  "{% endfor %}"                                                                     \
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"

bool
hearth_test_model_preset (hearth_test_model *m,
                          const char        *preset)
{
  memset (m, 0, sizeof *m);
  m->arch = "llama";
  m->weight_type = EMBER_TYPE_F32;
  m->seed = 1;
  m->n_ctx = 2048;

  if (g_str_equal (preset, "tiny"))
    {
      m->name = "tiny";
      m->n_embd = 64;
      m->n_layer = 2;
      m->n_head = 4;
      m->n_head_kv = 2;
      m->n_ff = 172;
      m->n_vocab = 300;
    }
  else if (g_str_equal (preset, "smollm2-135m"))
    {
      m->name = "SmolLM2-135M shape, random weights";
      m->n_embd = 576;
      m->n_layer = 30;
      m->n_head = 9;
      m->n_head_kv = 3;
      m->n_ff = 1536;
      m->n_vocab = 49152;
      m->n_ctx = 8192;
      m->tied_embeddings = true;
    }
  else if (g_str_equal (preset, "qwen2-0.5b"))
    {
      m->arch = "qwen2";
      m->name = "Qwen2.5-0.5B shape, random weights";
      m->n_embd = 896;
      m->n_layer = 24;
      m->n_head = 14;
      m->n_head_kv = 2;
      m->n_ff = 4864;
      m->n_vocab = 151936;
      m->n_ctx = 32768;
      m->tied_embeddings = true;
    }
  else if (g_str_equal (preset, "qwen2-1.5b"))
    {
      m->arch = "qwen2";
      m->name = "Qwen2.5-1.5B shape, random weights";
      m->n_embd = 1536;
      m->n_layer = 28;
      m->n_head = 12;
      m->n_head_kv = 2;
      m->n_ff = 8960;
      m->n_vocab = 151936;
      m->n_ctx = 32768;
      m->tied_embeddings = true;
    }
  else if (g_str_equal (preset, "qwen3-0.6b"))
    {
      m->arch = "qwen3";
      m->name = "Qwen3-0.6B shape, random weights";
      m->n_embd = 1024;
      m->n_layer = 28;
      m->n_head = 16;
      m->n_head_kv = 8;
      m->head_dim = 128;
      m->n_ff = 3072;
      m->n_vocab = 151936;
      m->n_ctx = 40960;
      m->tied_embeddings = true;
    }
  else
    return false;
  return true;
}

ember_type
hearth_test_model_row_type (ember_type wanted,
                            uint64_t   row_length)
{
  const ember_type_info *info = ember_type_get_info (wanted);

  if (info != NULL && row_length % info->block_elements == 0)
    return wanted;
  return row_length % 32 == 0 ? EMBER_TYPE_Q8_0 : EMBER_TYPE_F16;
}

/* ---- weights ------------------------------------------------------------- */

typedef enum {
  VALUES_MATRIX,
  VALUES_NORM,
  VALUES_BIAS,
} ValuesKind;

static uint64_t
splitmix (uint64_t *state)
{
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static float
uniform (uint64_t *state)
{
  return (float) ((splitmix (state) >> 40) * (1.0 / (1ull << 24))) * 2.0f - 1.0f;
}

static ValuesKind
kind_of (const char *name)
{
  if (g_str_has_suffix (name, "norm.weight"))
    return VALUES_NORM;
  if (g_str_has_suffix (name, ".bias"))
    return VALUES_BIAS;
  return VALUES_MATRIX;
}

float *
hearth_test_model_tensor_values (const hearth_test_model *m,
                                 const char              *name,
                                 uint64_t                 n)
{
  uint64_t state = m->seed * 0x100000001b3ull ^ g_str_hash (name);
  float *v = g_new (float, n);
  ValuesKind kind = kind_of (name);

  for (uint64_t i = 0; i < n; i++)
    {
      /* roughly normal: the sum of three uniforms */
      float x = (uniform (&state) + uniform (&state) + uniform (&state)) / 3.0f;

      switch (kind)
        {
        case VALUES_NORM:
          v[i] = 1.0f + 0.1f * x;
          break;
        case VALUES_BIAS:
          v[i] = 0.05f * x;
          break;
        case VALUES_MATRIX:
        default:
          v[i] = 0.08f * x;
          break;
        }
    }
  return v;
}

static bool
add_tensor (ember_gguf_writer       *w,
            const hearth_test_model *m,
            const char              *name,
            uint64_t                 d0,
            uint64_t                 d1,
            ember_error             *error)
{
  uint64_t dims[2] = { d0, d1 };
  uint32_t n_dims = d1 > 1 ? 2 : 1;
  uint64_t n = d0 * d1;
  g_autofree float *values = hearth_test_model_tensor_values (m, name, n);
  ember_type type = n_dims == 2 ? hearth_test_model_row_type (m->weight_type, d0) : EMBER_TYPE_F32;
  const ember_type_info *info = ember_type_get_info (type);
  uint64_t bytes;
  g_autofree uint8_t *data = NULL;

  if (!ember_type_row_bytes (info, n, &bytes))
    return fail (error, name);
  data = g_malloc (bytes);
  if (ember_quantize_row (type, values, data, n, error) != EMBER_OK)
    return false;
  ember_gguf_writer_add_tensor (w, name, type, n_dims, dims, data);
  return true;
}

/* ---- vocabularies -------------------------------------------------------- */

/* GPT-2's byte-to-character mapping: printable bytes map to themselves, the
 * others to U+0100 onwards, in order. */
static void
byte_chars (char out[256][5])
{
  int n = 0;

  for (int b = 0; b < 256; b++)
    {
      gunichar c;
      int len;

      if ((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255))
        c = (gunichar) b;
      else
        c = (gunichar) (256 + n++);
      len = g_unichar_to_utf8 (c, out[b]);
      out[b][len] = '\0';
    }
}

static const char *const corpus_words[] = {
  "the", "a", "and", "of", "to", "in", "is", "was", "he", "she", "it", "they", "you", "we",
  "once", "upon", "time", "there", "little", "girl", "boy", "named", "lily", "tom", "cat",
  "dog", "sun", "play", "happy", "said", "went", "park", "mom", "day", "big", "red", "ball",
  "tree", "bird", "friend", "hello", "world", "model", "token", "chat", "code", "int", "main",
  "return", "print", "def", "class", "for", "while", "if", "else",
};

/* A SentencePiece-style vocabulary: <unk>, <s>, </s>, the 256 byte tokens,
 * then pieces with decreasing scores. */
static void
add_llama_vocab (ember_gguf_writer       *w,
                 const hearth_test_model *m)
{
  g_autoptr (GPtrArray) tokens = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree float *scores = g_new0 (float, m->n_vocab);
  g_autofree int32_t *types = g_new0 (int32_t, m->n_vocab);

  g_ptr_array_add (tokens, g_strdup ("<unk>"));
  g_ptr_array_add (tokens, g_strdup ("<s>"));
  g_ptr_array_add (tokens, g_strdup ("</s>"));
  types[0] = 2;
  types[1] = types[2] = 3;
  for (int b = 0; b < 256; b++)
    {
      types[tokens->len] = 6;
      g_ptr_array_add (tokens, g_strdup_printf ("<0x%02X>", b));
    }
  for (guint i = 0; i < tokens->len; i++)
    g_hash_table_add (seen, g_ptr_array_index (tokens, i));

  /* letters, "▁" + letters, words and word prefixes, then letter pairs */
  for (guint round = 0; tokens->len < m->n_vocab; round++)
    {
      g_autofree char *piece = NULL;

      if (round < 26)
        piece = g_strdup_printf ("%c", 'a' + round);
      else if (round < 52)
        piece = g_strdup_printf ("▁%c", 'a' + round - 26);
      else if (round < 52 + G_N_ELEMENTS (corpus_words))
        piece = g_strdup_printf ("▁%s", corpus_words[round - 52]);
      else
        {
          guint k = round - 52 - G_N_ELEMENTS (corpus_words);

          piece = g_strdup_printf ("%c%c%c", 'a' + k % 26, 'a' + (k / 26) % 26, 'a' + (k / 676) % 26);
          if (k >= 26 * 26 * 26)
            {
              g_free (piece);
              piece = g_strdup_printf ("▁t%u", k);
            }
        }
      if (g_hash_table_contains (seen, piece))
        continue;
      scores[tokens->len] = -(float) tokens->len;
      types[tokens->len] = 1;
      g_ptr_array_add (tokens, g_strdup (piece));
      g_hash_table_add (seen, g_ptr_array_index (tokens, tokens->len - 1));
    }

  ember_gguf_writer_add_string (w, "tokenizer.ggml.model", "llama");
  ember_gguf_writer_add_string_array (w, "tokenizer.ggml.tokens",
                                      (const char *const *) tokens->pdata, tokens->len);
  ember_gguf_writer_add_array (w, "tokenizer.ggml.scores", EMBER_GGUF_TYPE_FLOAT32, scores,
                               tokens->len);
  ember_gguf_writer_add_array (w, "tokenizer.ggml.token_type", EMBER_GGUF_TYPE_INT32, types,
                               tokens->len);
  ember_gguf_writer_add_uint32 (w, "tokenizer.ggml.bos_token_id", 1);
  ember_gguf_writer_add_uint32 (w, "tokenizer.ggml.eos_token_id", 2);
  ember_gguf_writer_add_uint32 (w, "tokenizer.ggml.unknown_token_id", 0);
}

/* A byte-level BPE vocabulary: the 256 byte characters, merges learnt from
 * a few words (and then made up), and ChatML's special tokens at the end. */
static void
add_bpe_vocab (ember_gguf_writer       *w,
               const hearth_test_model *m)
{
  g_autoptr (GPtrArray) tokens = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) merges = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree int32_t *types = g_new0 (int32_t, m->n_vocab);
  static const char *const specials[] = { "<|endoftext|>", "<|im_start|>", "<|im_end|>" };
  guint n_normal = m->n_vocab - G_N_ELEMENTS (specials);
  char chars[256][5];

  byte_chars (chars);
  for (int b = 0; b < 256; b++)
    {
      g_ptr_array_add (tokens, g_strdup (chars[b]));
      g_hash_table_add (seen, g_ptr_array_index (tokens, b));
    }

  /* Merges that spell the words (with and without the leading space, "Ġ"),
   * left to right; then pairs of existing tokens until the vocabulary is full. */
  for (guint i = 0; i < G_N_ELEMENTS (corpus_words) * 2 && tokens->len < n_normal; i++)
    {
      const char *word = corpus_words[i / 2];
      g_autofree char *prefix = g_strdup (i % 2 == 1 ? "Ġ" : "");

      if (i % 2 == 0)
        {
          g_free (prefix);
          prefix = g_strndup (word, 1);
          word++;
        }
      for (const char *c = word; *c != '\0' && tokens->len < n_normal; c++)
        {
          g_autofree char *next = g_strdup_printf ("%s%c", prefix, *c);

          if (!g_hash_table_contains (seen, next))
            {
              g_ptr_array_add (merges, g_strdup_printf ("%s %c", prefix, *c));
              g_ptr_array_add (tokens, g_strdup (next));
              g_hash_table_add (seen, g_ptr_array_index (tokens, tokens->len - 1));
            }
          g_free (prefix);
          prefix = g_steal_pointer (&next);
        }
    }
  for (guint a = 0; tokens->len < n_normal; a++)
    {
      const char *left = g_ptr_array_index (tokens, 'a' + a % 26);
      const char *right = g_ptr_array_index (tokens, 256 + a / 26 % (tokens->len - 256));
      g_autofree char *joined = g_strconcat (left, right, NULL);

      if (g_hash_table_contains (seen, joined))
        continue;
      g_ptr_array_add (merges, g_strdup_printf ("%s %s", left, right));
      g_ptr_array_add (tokens, g_steal_pointer (&joined));
      g_hash_table_add (seen, g_ptr_array_index (tokens, tokens->len - 1));
    }
  for (guint i = 0; i < tokens->len; i++)
    types[i] = 1;
  for (gsize i = 0; i < G_N_ELEMENTS (specials); i++)
    {
      types[tokens->len] = 3;
      g_ptr_array_add (tokens, g_strdup (specials[i]));
    }

  ember_gguf_writer_add_string (w, "tokenizer.ggml.model", "gpt2");
  ember_gguf_writer_add_string (w, "tokenizer.ggml.pre", "qwen2");
  ember_gguf_writer_add_string_array (w, "tokenizer.ggml.tokens",
                                      (const char *const *) tokens->pdata, tokens->len);
  ember_gguf_writer_add_array (w, "tokenizer.ggml.token_type", EMBER_GGUF_TYPE_INT32, types,
                               tokens->len);
  ember_gguf_writer_add_string_array (w, "tokenizer.ggml.merges",
                                      (const char *const *) merges->pdata, merges->len);
  ember_gguf_writer_add_uint32 (w, "tokenizer.ggml.bos_token_id", n_normal);
  ember_gguf_writer_add_uint32 (w, "tokenizer.ggml.eos_token_id", n_normal + 2);
  ember_gguf_writer_add_uint32 (w, "tokenizer.ggml.padding_token_id", n_normal);
  ember_gguf_writer_add_bool (w, "tokenizer.ggml.add_bos_token", false);
  ember_gguf_writer_add_string (w, "tokenizer.chat_template", CHATML_TEMPLATE);
}

/* ---- the model ----------------------------------------------------------- */

static uint32_t
file_type_of (ember_type type)
{
  switch (type)
    {
    case EMBER_TYPE_F32:
      return 0;
    case EMBER_TYPE_F16:
      return 1;
    case EMBER_TYPE_Q4_0:
      return 2;
    case EMBER_TYPE_Q4_1:
      return 3;
    case EMBER_TYPE_Q8_0:
      return 7;
    case EMBER_TYPE_Q5_0:
      return 8;
    case EMBER_TYPE_Q5_1:
      return 9;
    case EMBER_TYPE_Q2_K:
      return 10;
    case EMBER_TYPE_Q3_K:
      return 12;
    case EMBER_TYPE_Q4_K:
      return 15;
    case EMBER_TYPE_Q5_K:
      return 17;
    case EMBER_TYPE_Q6_K:
      return 18;
    case EMBER_TYPE_BF16:
      return 32;
    default:
      return 0;
    }
}

ember_status
hearth_test_model_write (const hearth_test_model *m,
                         const char              *path,
                         ember_error             *error)
{
  ember_gguf_writer *w;
  uint32_t head_dim = m->head_dim > 0 ? m->head_dim : m->n_embd / m->n_head;
  uint32_t q_dim = m->n_head * head_dim;
  uint32_t kv_dim = m->n_head_kv * head_dim;
  bool qwen = g_str_equal (m->arch, "qwen2") || g_str_equal (m->arch, "qwen3");
  ember_status status = EMBER_OK;
  char key[128];

  if (m->n_vocab < 259 + 3 || m->n_head == 0 || m->n_head_kv == 0 || m->n_head % m->n_head_kv != 0)
    {
      fail (error, "model shape");
      return EMBER_ERROR_INVALID_ARGUMENT;
    }

  w = ember_gguf_writer_new ();
#define ARCH_KEY(suffix) (g_snprintf (key, sizeof key, "%s." suffix, m->arch), key)
  ember_gguf_writer_add_string (w, "general.architecture", m->arch);
  ember_gguf_writer_add_string (w, "general.name", m->name != NULL ? m->name : m->arch);
  ember_gguf_writer_add_uint32 (w, "general.file_type", file_type_of (m->weight_type));
  ember_gguf_writer_add_uint32 (w, ARCH_KEY ("context_length"), m->n_ctx);
  ember_gguf_writer_add_uint32 (w, ARCH_KEY ("embedding_length"), m->n_embd);
  ember_gguf_writer_add_uint32 (w, ARCH_KEY ("block_count"), m->n_layer);
  ember_gguf_writer_add_uint32 (w, ARCH_KEY ("feed_forward_length"), m->n_ff);
  ember_gguf_writer_add_uint32 (w, ARCH_KEY ("attention.head_count"), m->n_head);
  ember_gguf_writer_add_uint32 (w, ARCH_KEY ("attention.head_count_kv"), m->n_head_kv);
  ember_gguf_writer_add_float32 (w, ARCH_KEY ("attention.layer_norm_rms_epsilon"), 1e-6f);
  ember_gguf_writer_add_float32 (w, ARCH_KEY ("rope.freq_base"), qwen ? 1000000.0f : 10000.0f);
  ember_gguf_writer_add_uint32 (w, ARCH_KEY ("rope.dimension_count"),
                                m->rope_dims > 0 ? m->rope_dims : head_dim);
  if (m->rope_linear_factor > 0.0f)
    {
      ember_gguf_writer_add_string (w, ARCH_KEY ("rope.scaling.type"), "linear");
      ember_gguf_writer_add_float32 (w, ARCH_KEY ("rope.scaling.factor"), m->rope_linear_factor);
    }
  if (m->head_dim > 0)
    {
      ember_gguf_writer_add_uint32 (w, ARCH_KEY ("attention.key_length"), head_dim);
      ember_gguf_writer_add_uint32 (w, ARCH_KEY ("attention.value_length"), head_dim);
    }
#undef ARCH_KEY
  if (qwen)
    add_bpe_vocab (w, m);
  else
    add_llama_vocab (w, m);

  if (!add_tensor (w, m, "token_embd.weight", m->n_embd, m->n_vocab, error)
      || !add_tensor (w, m, "output_norm.weight", m->n_embd, 1, error)
      || (!m->tied_embeddings && !add_tensor (w, m, "output.weight", m->n_embd, m->n_vocab, error)))
    status = EMBER_ERROR_INVALID_ARGUMENT;
  if (status == EMBER_OK && m->rope_freqs)
    {
      /* factors of 1 to 4 per rotated pair, as llama3's long-context scaling has */
      uint32_t n = (m->rope_dims > 0 ? m->rope_dims : head_dim) / 2;
      uint64_t dims[1] = { n };
      g_autofree float *factors = g_new (float, n);

      for (uint32_t i = 0; i < n; i++)
        factors[i] = 1.0f + 3.0f * (float) i / (float) n;
      ember_gguf_writer_add_tensor (w, "rope_freqs.weight", EMBER_TYPE_F32, 1, dims, factors);
    }

  for (uint32_t l = 0; l < m->n_layer && status == EMBER_OK; l++)
    {
      struct { const char *suffix; uint64_t d0, d1; } layer[] = {
        { "attn_norm.weight", m->n_embd, 1 },
        { "attn_q.weight", m->n_embd, q_dim },
        { "attn_k.weight", m->n_embd, kv_dim },
        { "attn_v.weight", m->n_embd, kv_dim },
        { "attn_output.weight", q_dim, m->n_embd },
        { "ffn_norm.weight", m->n_embd, 1 },
        { "ffn_gate.weight", m->n_embd, m->n_ff },
        { "ffn_up.weight", m->n_embd, m->n_ff },
        { "ffn_down.weight", m->n_ff, m->n_embd },
        /* qwen2: q/k/v biases; qwen3: per-head q/k norms */
        { "attn_q.bias", q_dim, 1 },
        { "attn_k.bias", kv_dim, 1 },
        { "attn_v.bias", kv_dim, 1 },
        { "attn_q_norm.weight", head_dim, 1 },
        { "attn_k_norm.weight", head_dim, 1 },
      };

      for (gsize i = 0; i < G_N_ELEMENTS (layer) && status == EMBER_OK; i++)
        {
          g_autofree char *name = NULL;

          if (g_str_has_suffix (layer[i].suffix, ".bias") && !g_str_equal (m->arch, "qwen2"))
            continue;
          if (g_str_has_prefix (layer[i].suffix, "attn_q_norm") && !g_str_equal (m->arch, "qwen3"))
            continue;
          if (g_str_has_prefix (layer[i].suffix, "attn_k_norm") && !g_str_equal (m->arch, "qwen3"))
            continue;
          name = g_strdup_printf ("blk.%u.%s", l, layer[i].suffix);
          if (!add_tensor (w, m, name, layer[i].d0, layer[i].d1, error))
            status = EMBER_ERROR_INVALID_ARGUMENT;
        }
    }

  if (status == EMBER_OK)
    status = ember_gguf_writer_write_file (w, path, error);
  ember_gguf_writer_free (w);
  return status;
}
