from django.contrib import admin

from customers.models import Contact, Customer


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    raw_id_fields = ("partner",)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("company", "partner", "email_domain", "country", "city", "created_at")
    list_filter = ("country",)
    search_fields = ("company", "email_domain", "partner__name")
    raw_id_fields = ("partner",)
    readonly_fields = ("normalised_name",)
    inlines = (ContactInline,)


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "customer", "partner")
    search_fields = ("name", "email", "customer__company")
    raw_id_fields = ("customer", "partner")
