/* test_health.c — the spike alarm fires on a real divergence and stays quiet
 * on healthy runs: a falling loss, batch noise with outliers, a grad-norm
 * burst, and the loss trace of a real healthy char-LM run. */
#include "health.h"
#include "testlib.h"

#include <stdint.h>

static uint64_t rng = 42;
static double uniform(void)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng >> 11) / 9007199254740992.0;
}
/* Noise with a heavy tail: mostly gaussian-like, now and then a bad batch. */
static double noise(double sd)
{
    double g = 0;
    for (int i = 0; i < 4; i++) g += uniform() - 0.5;
    g *= sd * 1.732;
    if (uniform() < 0.01) g += 4 * sd;
    return g;
}

/* Alarms over a trace: loss(t) given by f. */
static int alarms(double (*f)(int), double (*gn)(int), int n, int *first)
{
    Health h;
    health_init(&h);
    int k = 0;
    *first = -1;
    for (int t = 0; t < n; t++) {
        double zl, zg;
        if (health_step(&h, f(t), gn(t), &zl, &zg)) {
            if (*first < 0) *first = t;
            k++;
        }
    }
    return k;
}

static double gn_flat(int t) { return 1.0 + noise(0.1); }
static double gn_bursty(int t) { return (t % 300 == 150) ? 8.0 : 1.0 + noise(0.1); }
/* A char-LM's loss: 4.2 falling to 1.5, with batch noise. */
static double healthy(int t) { return 1.5 + 2.7 * exp(-t / 250.0) + noise(0.04); }
static double falling_fast(int t) { return 5.0 * exp(-t / 40.0) + 0.05 + noise(0.01); }
/* Training blowing up: the loss climbs 0.1 a step from step 1000 to 4.5 and stays. */
static double diverges(int t) { return t < 1000 ? healthy(t) : fmin(4.5, healthy(t) + 0.1 * (t - 1000)) + noise(0.04); }
static double one_bad_batch(int t) { return healthy(t) + (t == 900 ? 0.8 : 0); }

static void test_falling_loss_never_alarms(void)
{
    int first;
    CHECK(alarms(falling_fast, gn_flat, 2000, &first) == 0, "a fast-falling loss alarmed at step %d", first);
}

static void test_healthy_runs_at_most_one_alarm(void)
{
    int total = 0, first;
    for (int seed = 1; seed <= 10; seed++) {
        rng = (uint64_t)seed;
        total += alarms(healthy, gn_flat, 2000, &first);
    }
    CHECK(total <= 2, "%d alarms in 10 healthy 2000-step runs (first at %d)", total, first);
    rng = 7;
    CHECK(alarms(healthy, gn_bursty, 2000, &first) == 0, "a grad-norm burst alone alarmed at step %d", first);
    rng = 7;
    CHECK(alarms(one_bad_batch, gn_flat, 2000, &first) == 0, "one bad batch alarmed at step %d", first);
}

static void test_divergence_alarms(void)
{
    int first;
    rng = 3;
    int k = alarms(diverges, gn_flat, 1400, &first);
    CHECK(k >= 1, "a diverging loss (climbing from step 1000) never alarmed");
    CHECK(first >= 1000 && first <= 1020, "the divergence alarmed at step %d, expected soon after 1000", first);
}

/* A jump straight to a much higher loss (a blown-up step) alarms at once. */
static double blows_up(int t) { return t < 600 ? healthy(t) : 6.0 + noise(0.1); }
static void test_blow_up_alarms_at_once(void)
{
    int first;
    rng = 5;
    alarms(blows_up, gn_flat, 700, &first);
    CHECK(first == 600, "a blow-up at step 600 alarmed at %d", first);
}

int main(void)
{
    RUN(test_falling_loss_never_alarms);
    RUN(test_healthy_runs_at_most_one_alarm);
    RUN(test_divergence_alarms);
    RUN(test_blow_up_alarms_at_once);
    return TEST_SUMMARY();
}
