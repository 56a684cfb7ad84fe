// SPDX-License-Identifier: GPL-2.0
/*
 * kdebug_hung: one kthread takes a mutex and keeps it; a second kthread
 * blocks on it in D state. After kernel.hung_task_timeout_secs the hung task
 * detector prints "INFO: task kdebug_stuck:PID blocked for more than N
 * seconds." and, on a lockdep kernel, the locks held in the system
 * (kernel/hung_task.c: check_hung_task, debug_show_all_locks).
 * rmmod releases the mutex and both threads end. Lab use only.
 *
 * No "wait" in the blocked thread's names: like syzkaller, the parser skips
 * frames with "wait" in them when it looks for the function to blame.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/err.h>

static DEFINE_MUTEX(kdebug_hung_mutex);
static DECLARE_COMPLETION(kdebug_held);
static DECLARE_COMPLETION(kdebug_release);
static struct task_struct *holder, *stuck;

static int kdebug_holder_fn(void *unused)
{
	mutex_lock(&kdebug_hung_mutex);
	complete(&kdebug_held);
	/* interruptible wait: the holder itself is not a hung task */
	while (wait_for_completion_interruptible(&kdebug_release))
		;
	mutex_unlock(&kdebug_hung_mutex);
	while (!kthread_should_stop())
		msleep_interruptible(100);
	return 0;
}

static noinline void kdebug_stuck_take(void)
{
	mutex_lock(&kdebug_hung_mutex);	/* blocks in D state */
	mutex_unlock(&kdebug_hung_mutex);
}

static int kdebug_stuck_fn(void *unused)
{
	kdebug_stuck_take();
	while (!kthread_should_stop())
		msleep_interruptible(100);
	return 0;
}

static int __init kdebug_hung_init(void)
{
	holder = kthread_run(kdebug_holder_fn, NULL, "kdebug_holder");
	if (IS_ERR(holder))
		return PTR_ERR(holder);
	wait_for_completion(&kdebug_held);
	stuck = kthread_run(kdebug_stuck_fn, NULL, "kdebug_stuck");
	if (IS_ERR(stuck)) {
		complete(&kdebug_release);
		kthread_stop(holder);
		return PTR_ERR(stuck);
	}
	pr_info("kdebug_hung: kdebug_stuck is now blocked on a mutex held by kdebug_holder\n");
	return 0;
}

static void __exit kdebug_hung_exit(void)
{
	complete(&kdebug_release);
	kthread_stop(stuck);
	kthread_stop(holder);
	pr_info("kdebug_hung: released\n");
}

module_init(kdebug_hung_init);
module_exit(kdebug_hung_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kdebug.kernel lab: a task blocked on a held mutex for the hung task detector");
