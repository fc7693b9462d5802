/* probe_mom.h — what a Mixture-of-Modules router does, on the run's fixed
 * probe batch (spec mom-and-mlp-attention.md §C.1 M2, M3, M5, M6). Series
 * (matrices keep the latest record only):
 *
 *   router    router.attn, router.ffn          steps × T: module chosen first by each
 *                                              token of sequence 0 (SKIP = -1)
 *             router.attn.w, router.ffn.w      steps × T: its weight
 *             router.usage.attn / .ffn         steps × (pool+1): share of choices (SKIP last)
 *             router.depth                     2 × (steps+1): share of tokens by effective
 *                                              depth (non-SKIP steps), rows attn, ffn
 *             router.entropy.attn / .ffn       usage entropy over all steps (nats)
 *             router.pentropy.attn / .ffn      mean entropy of a router's p per decision
 *             router.reuse.attn / .ffn         share of tokens picking the same module as
 *                                              at the step before (M6)
 *             router.diag.attn / .ffn          share of first choices on the vanilla
 *                                              path (step h → module h, SKIP past the pool)
 *             router.aux                       the load-balancing loss (unscaled)
 *             router.gnorm.lm / .aux           the routers' gradient norm from the LM
 *                                              loss alone and from aux·L_aux alone
 *   knockout  knockout                         1 × (N_A + N_F): loss increase with one module
 *                                              disabled (router score −∞), attn.* then ffn.*
 *   modules   modules.sim.attn / .ffn          pool × pool cosine between module outputs
 *                                              on the chunk's input
 * Parameters are never changed; gradients are restored after router.gnorm. */
#ifndef BL_PROBE_MOM_H
#define BL_PROBE_MOM_H

#include "probe.h"

/* Runs the MoM probes of mask (PROBE_ROUTER, PROBE_KNOCKOUT, PROBE_MODULES).
 * Fails with one line when the model is not a MoM. */
int probe_mom_run(Prober *p, Model *m, unsigned mask, long step, Metrics *mt, BlError *e);

#endif
