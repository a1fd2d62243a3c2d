from django import forms

from .models import Comment, Question


class QuestionForm(forms.ModelForm):
    class Meta:
        model = Question
        fields = ["asker_role", "asker_name", "question", "answer", "satisfaction"]
        widgets = {
            "question": forms.Textarea(attrs={"rows": 3}),
            "answer": forms.Textarea(attrs={"rows": 3}),
            "satisfaction": forms.RadioSelect,
        }


class CommentForm(forms.ModelForm):
    class Meta:
        model = Comment
        fields = ["commenter", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 4})}
