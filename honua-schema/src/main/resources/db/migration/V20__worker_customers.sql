-- honua_worker may no longer create customers (issue 12). It kept INSERT on customers from V10's blanket grant, so a
-- worker could create a customer with any tier, bypassing admin_create_customer (V18). Customers are created only by
-- honua_admin through admin_create_customer; the worker keeps DELETE (purge of soft-deleted customers) and UPDATE of
-- the contact columns (V13).
REVOKE INSERT ON public.customers FROM honua_worker;
