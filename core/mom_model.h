/* mom_model.h — Mixture-of-Modules at the level of whole models: phase 2 of
 * the two-phase recipe (spec mom-and-mlp-attention.md §A.10), where a trained
 * vanilla model's layers become the module slots of a MoM. */
#ifndef BL_MOM_MODEL_H
#define BL_MOM_MODEL_H

#include "model.h"

/* Vanilla layers the MoM spec needs: bottom + max(N_A, N_F) + anchor + top. */
int mom_vanilla_layers(const MomSpec *s);

/* The MoM spec `a` made from vanilla `src`: src's model-wide settings with
 * a's MoM keys. Fails with one line when src is not a plain Pre-LN stack
 * (every block preset=preln, untouched), has the wrong number of layers, or
 * differs in width. */
int mom_check_vanilla(const ArchSpec *mom, const ArchSpec *src, BlError *e);

/* Copies src's weights into MoM dst in order (§A.10, `get_layer_map`): the
 * embeddings, final norm and head by name; bottom layers 1:1; the next
 * max(N_A, N_F) layers' ln1/attn into attention module j and ln2/mlp into FFN
 * module j; then the anchor and top layers. Routers keep dst's random init.
 * Call mom_check_vanilla first; fails only on a shape mismatch. */
int mom_copy_from_vanilla(Model *dst, const Model *src, BlError *e);

#endif
