// SPDX-License-Identifier: GPL-2.0
/*
 * kdebug_abba: take two mutexes in A->B order, then in B->A order, from the
 * module's init. One thread, so nothing deadlocks, but lockdep sees both
 * orders and prints "WARNING: possible circular locking dependency detected"
 * (kernel/locking/lockdep.c: print_circular_bug_header). Lab use only.
 */
#include <linux/module.h>
#include <linux/mutex.h>

static DEFINE_MUTEX(kdebug_lock_a);
static DEFINE_MUTEX(kdebug_lock_b);

static noinline void kdebug_abba_order_ab(void)
{
	mutex_lock(&kdebug_lock_a);
	mutex_lock(&kdebug_lock_b);
	mutex_unlock(&kdebug_lock_b);
	mutex_unlock(&kdebug_lock_a);
}

static noinline void kdebug_abba_order_ba(void)
{
	mutex_lock(&kdebug_lock_b);
	mutex_lock(&kdebug_lock_a);
	mutex_unlock(&kdebug_lock_a);
	mutex_unlock(&kdebug_lock_b);
}

static int __init kdebug_abba_init(void)
{
	pr_info("kdebug_abba: taking A then B, then B then A\n");
	kdebug_abba_order_ab();
	kdebug_abba_order_ba();
	return 0;
}

static void __exit kdebug_abba_exit(void)
{
}

module_init(kdebug_abba_init);
module_exit(kdebug_abba_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kdebug.kernel lab: ABBA mutex order for lockdep");
