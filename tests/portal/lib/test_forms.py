"""The error summary's list (portal.lib.forms.error_summary), written once for every page."""

from django import forms

from portal.lib.forms import error_summary


class Example(forms.Form):
    name = forms.CharField(error_messages={"required": "Enter your name"})
    colour = forms.ChoiceField(
        choices=[("red", "Red"), ("blue", "Blue")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select a colour"},
    )
    agree = forms.BooleanField(error_messages={"required": "Confirm you agree"})

    def clean(self):
        raise forms.ValidationError("Something about the whole form")


def test_each_error_links_to_its_field_in_order_and_radios_to_the_first_option():
    form = Example(data={})
    assert error_summary(form, form_anchor="the-form") == [
        ("the-form", "Something about the whole form"),
        ("id_name", "Enter your name"),
        ("id_colour_0", "Select a colour"),
        ("id_agree", "Confirm you agree"),  # a single checkbox is its own target
    ]


def test_unbound_and_missing_forms_add_nothing():
    assert error_summary(Example(), None) == []


def test_several_forms_in_turn():
    first, second = Example(data={"name": "A", "colour": "red", "agree": "on"}), Example(data={})
    assert [anchor for anchor, _ in error_summary(first, second)] == [
        "",
        "",
        "id_name",
        "id_colour_0",
        "id_agree",
    ]
